"""API tokens and their provenance (issue 18 ③): a token stands for a person only if that person made it.

- A 担当者's token may come from the operator (`manage.py create_api_token`) for an insurer's system; it can never
  decide a four-eyes request.
- A 責任者 or 監査者 makes his own token in the console (/account/api-tokens/) after his own TOTP code; a token
  anyone else made is refused outright for those accounts (api.auth).
- Deciding a four-eyes request over the API needs the decider's own token (api.permissions.OwnToken).
- /api/sim/ (the simulated world, never on where real data lives) plays the staff member making his own token.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.services import record
from signin.models import ApiTokenProvenance, TokenOrigin
from signin.policy import needs_second_factor

# Made by the person himself: the console after his TOTP code, or the simulation acting as him.
OWN_ORIGINS = frozenset({TokenOrigin.CONSOLE.value, TokenOrigin.SIM.value})

NOT_OWN_FOR_ELEVATED = (
    "責任者・監査者のAPIトークンは、本人がコンソール（アカウント → APIトークン）で二要素認証の確認コードを入力して"
    "発行したものだけが使えます。運用者や管理コマンドが発行したトークンは使えません。"
)
NOT_OWN_FOR_DECISION = (
    "承認・却下（四つの目）には、ご本人がコンソールで発行したAPIトークンが必要です。"
    "運用者や管理コマンドが発行したトークンでは判断できません。"
)


def is_own_token(token) -> bool:
    """True when the token's user made it himself (the console, or the simulation acting as him)."""
    provenance = getattr(token, "provenance", None) if token is not None else None
    return bool(provenance and provenance.made_via in OWN_ORIGINS and provenance.made_by_id == token.user_id)


def _issue(*, staff, made_by, made_via: str, reason: str, actor=None) -> str:
    from knox.models import AuthToken

    if not getattr(staff, "is_insurer_staff", False) or not staff.is_active:
        raise PermissionDenied("APIトークンは保険者の職員にのみ発行できます。")
    with transaction.atomic():
        token_row, token = AuthToken.objects.create(user=staff)
        ApiTokenProvenance.objects.create(token=token_row, made_by=made_by, made_via=made_via)
        # The entry's actor is whoever made the token: the staff member, or the operator named by the command.
        record(actor=made_by or actor, institution=staff.institution, action="api_token.created", target=staff,
               after={"made_via": made_via, "made_by": str(made_by or actor or "")}, message=reason)
    return token


def create_operator_token(*, staff, operator: str, reason: str) -> str:
    """The operator's token for an insurer system's 担当者 account (create_api_token); `operator` names who ran it
    (the audit entry's actor). It cannot decide a four-eyes request; a 責任者 or 監査者 gets none this way."""
    if needs_second_factor(staff):
        raise PermissionDenied(NOT_OWN_FOR_ELEVATED)
    return _issue(staff=staff, made_by=None, made_via=TokenOrigin.COMMAND, reason=reason, actor=operator)


def create_sim_token(*, staff, reason: str) -> str:
    """/api/sim/: the simulated staff member's own token."""
    return _issue(staff=staff, made_by=staff, made_via=TokenOrigin.SIM, reason=reason)


def create_own_token(*, staff, code: str = "", password: str = "") -> str:
    """A staff member makes his own token in the console: 責任者・監査者 type their TOTP code again (a session left
    open is not enough), 担当者 their password. Shown once; only its digest is kept."""
    from signin.services import confirmed_device

    if needs_second_factor(staff):
        device = confirmed_device(staff)
        if device is None:
            raise ValidationError("二要素認証の端末が登録されていないため、APIトークンを発行できません。", code="no_device")
        if not device.verify_is_allowed()[0]:
            raise ValidationError({"code": "確認コードの誤りが続いたため、しばらく待ってから入力してください。"},
                                  code="throttled")
        if not device.verify_token("".join((code or "").split())[:16]):
            record(actor=staff, action="auth.otp_failed", message="APIトークン発行時の確認コードが正しくありません")
            raise ValidationError({"code": "確認コードが正しくありません。"}, code="wrong_code")
    elif not staff.check_password(password or ""):
        raise ValidationError({"password": "パスワードが正しくありません。"}, code="wrong_password")
    return _issue(staff=staff, made_by=staff, made_via=TokenOrigin.CONSOLE, reason="本人がコンソールで発行")


def revoke_own_token(*, staff, token_key: str) -> None:
    """Delete one of the caller's own tokens by its key (the first characters, shown on the page)."""
    from knox.models import AuthToken

    with transaction.atomic():
        deleted, _ = AuthToken.objects.filter(user=staff, token_key=token_key).delete()
        if not deleted:
            raise ValidationError("トークンが見つかりません。", code="not_found")
        record(actor=staff, action="api_token.revoked", target=staff, message="本人がコンソールで失効")
