"""Who may call what: every /api/v1/ caller is insurer staff; 監査者 only reads; 責任者 decides clearing.

Scope (which insurer's rows) is not decided here but by the selectors each view starts from.
"""

import hmac

from rest_framework.permissions import SAFE_METHODS, BasePermission

from institutions.models import Role


class IsInsurerStaff(BasePermission):
    """Any role of an insurer; reads are open to all three roles, writes to 担当者 and 責任者 only."""

    message = "保険者の職員のみ利用できます。"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not getattr(user, "is_insurer_staff", False) or not user.is_active:
            return False
        if request.method in SAFE_METHODS:
            return True
        if user.role in (Role.CLERK, Role.SUPERVISOR):
            return True
        self.message = "監査者は参照のみ行えます。"
        return False


class IsSupervisor(IsInsurerStaff):
    """責任者 only (approving or rejecting a clearing request: four eyes)."""

    refusal = "解除の承認は責任者のみが行えます。"

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.user.role == Role.SUPERVISOR:
            return True
        self.message = self.refusal
        return False


class ManagesCaseStaff(IsSupervisor):
    """責任者 only: a case's 担当 (issue 17 point 6), read and changed."""

    refusal = "担当の参照・追加・削除は責任者のみが行えます。"


class IsAuditor(IsInsurerStaff):
    """監査者 only (the audit trail)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.user.role == Role.AUDITOR:
            return True
        self.message = "監査証跡は監査者のみが参照できます。"
        return False


class OwnToken(BasePermission):
    """Deciding a four-eyes request needs a token the decider made himself (signin.tokens): one the operator or a
    command made stands for nobody's second pair of eyes (issue 18 ③)."""

    def has_permission(self, request, view) -> bool:
        from signin.tokens import NOT_OWN_FOR_DECISION, is_own_token

        self.message = NOT_OWN_FOR_DECISION
        return is_own_token(request.auth)


SIM_KEY_HEADER = "X-Nakama-Sim-Key"


class HasSimKey(BasePermission):
    """/api/sim/ creates staff, tokens and cards: every call carries settings.NAKAMA_SIM_KEY in X-Nakama-Sim-Key,
    compared in constant time. No key configured means no call passes (the settings refuse to start that way
    outside DEBUG; this also holds when settings are changed at run time)."""

    def has_permission(self, request, view) -> bool:
        from django.conf import settings

        from api.errors import ApiError

        expected = getattr(settings, "NAKAMA_SIM_KEY", "") or ""
        given = request.headers.get(SIM_KEY_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError(code="sim_key_invalid", status_code=403,
                           message=f"シミュレーションAPIのキー（{SIM_KEY_HEADER} ヘッダー）がないか、正しくありません。")
        return True
