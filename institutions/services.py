"""Staff accounts: the one way to create one, to grant a role (four eyes), and to deactivate one.

A 担当者 account is created by a 責任者 at once. A 責任者 or 監査者 account, and every role change of an existing
account, is only a request until another 責任者 of the insurer (or the server operator) approves it; the approver
must be independent of the requester by provenance (institutions.access.require_independent_approver). Each act runs in one
transaction with its entry in the insurer's audit trail.
"""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from institutions.access import require_independent_approver
from institutions.models import (
    ELEVATED_ROLES,
    Department,
    Role,
    RoleGrantRequest,
    RoleGrantRequestState,
    Staff,
    StaffOrigin,
)


def _require_supervisor(actor, message: str) -> None:
    if not getattr(actor, "is_insurer_staff", False) or actor.role != Role.SUPERVISOR or not actor.is_active:
        raise PermissionDenied(message)


def _is_operator(actor) -> bool:
    return bool(actor.is_active and actor.is_superuser and actor.institution_id is None)


def _require_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "役割を選び直してください。"}, code="invalid_role")


def _require_new_username(username: str) -> None:
    Staff.username_validator(username)
    taken = Staff.objects.filter(username__iexact=username).exists() or RoleGrantRequest.objects.filter(
        username__iexact=username, is_new_account=True, state=RoleGrantRequestState.PENDING
    ).exists()
    if taken:
        raise ValidationError({"username": "このユーザー名はすでに使われています。"}, code="duplicate")


def _new_account_checks(actor, *, username: str, display_name: str, department: Department, password: str) -> None:
    if department is None or department.institution_id != actor.institution_id:
        raise ValidationError({"department": "部署を選び直してください。"}, code="other_insurer")
    if not (display_name or "").strip():
        raise ValidationError({"display_name": "氏名を入力してください。"}, code="required")
    _require_new_username(username)
    validate_password(password, Staff(username=username, display_name=display_name))


def create_staff(
    *, actor, username: str, display_name: str, department: Department, role: str, password: str
) -> Staff:
    """A 責任者 adds a 担当者 to their own insurer. 責任者・監査者 need approval: request_role_grant."""
    _require_supervisor(actor, "職員の登録は責任者のみが行えます。")
    _require_role(role)
    if role in ELEVATED_ROLES:
        raise ValidationError({"role": ValidationError(
            "責任者・監査者の登録は、別の責任者の承認が必要です（役割付与の依頼）。", code="needs_approval"
        )})
    _new_account_checks(actor, username=username, display_name=display_name, department=department, password=password)
    with transaction.atomic():
        staff = Staff(
            username=username, display_name=display_name, institution_id=actor.institution_id,
            department=department, role=role, role_granted_at=timezone.now(), role_requested_by=actor,
            created_by=actor, created_via=StaffOrigin.CONSOLE,
        )
        staff.set_password(password)
        staff.full_clean()
        staff.save()
        record(
            actor=actor, action="staff.created", target=staff,
            after={"username": username, "role": role, "department": department.name},
        )
    return staff


def request_role_grant(
    *,
    actor,
    role: str,
    reason: str,
    staff: Staff | None = None,
    username: str = "",
    display_name: str = "",
    department: Department | None = None,
    password: str = "",
) -> RoleGrantRequest:
    """A 責任者 asks for a new 責任者・監査者 account (staff=None) or for a role change of an existing account.

    Nothing changes until another 責任者 approves (decide_role_grant).
    """
    _require_supervisor(actor, "役割付与の依頼は責任者のみが行えます。")
    _require_role(role)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        if staff is None:
            if role not in ELEVATED_ROLES:
                raise ValidationError({"role": "担当者は依頼せずに登録できます。"}, code="not_elevated")
            _new_account_checks(
                actor, username=username, display_name=display_name, department=department, password=password
            )
            grant = RoleGrantRequest(
                institution_id=actor.institution_id, is_new_account=True, username=username,
                display_name=display_name, department=department, password_hash=make_password(password), role=role,
            )
        else:
            staff = Staff.objects.select_for_update().filter(pk=staff.pk, institution_id=actor.institution_id).first()
            if staff is None or not staff.is_active:
                raise ValidationError("対象の職員が見つかりません。", code="not_found")
            if staff.pk == actor.pk:
                raise ValidationError("ご自身の役割の変更は依頼できません。", code="four_eyes")
            if staff.role == role:
                raise ValidationError({"role": "現在と同じ役割です。"}, code="unchanged")
            if RoleGrantRequest.objects.filter(staff=staff, state=RoleGrantRequestState.PENDING).exists():
                raise ValidationError("この職員にはすでに承認待ちの依頼があります。", code="pending_exists")
            grant = RoleGrantRequest(
                institution_id=actor.institution_id, staff=staff, username=staff.username,
                display_name=staff.display_name, department=staff.department, role_before=staff.role, role=role,
            )
        grant.reason = reason
        grant.requested_at = timezone.now()
        grant.requested_by = actor
        grant.requested_by_name = str(actor)
        grant.save()
        record(
            actor=actor, action="staff.role_grant_requested", target=grant,
            after={"role": role, "role_before": grant.role_before, "new_account": grant.is_new_account},
            message=reason,
        )
    return grant


def decide_role_grant(*, actor, grant_request: RoleGrantRequest, approve: bool, note: str = "") -> RoleGrantRequest:
    """Another 責任者 of the insurer (or the server operator) approves — the role takes effect — or declines."""
    operator = _is_operator(actor)
    if not operator:
        _require_supervisor(actor, "役割付与の承認は責任者のみが行えます。")
        if grant_request.institution_id != actor.institution_id:
            raise ValidationError("他の保険者の依頼は扱えません。", code="other_insurer")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "却下する場合は理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        grant = RoleGrantRequest.objects.select_for_update().get(pk=grant_request.pk)
        if grant.state != RoleGrantRequestState.PENDING:
            raise ValidationError("この依頼はすでに処理されています。", code="already_decided")
        require_independent_approver(actor, requested_by=grant.requested_by_id, requested_at=grant.requested_at)
        if grant.staff_id == actor.pk:
            raise ValidationError("ご自身の役割の変更は承認できません。", code="four_eyes")
        now = timezone.now()
        grant.state = RoleGrantRequestState.APPROVED if approve else RoleGrantRequestState.DECLINED
        grant.decided_at, grant.decided_by, grant.decided_by_name = now, actor, str(actor)
        grant.decision_note = note
        if approve:
            staff = _grant(grant, approver=actor, now=now)
            grant.staff = staff
        grant.password_hash = ""  # kept only until the decision
        grant.save()
        record(
            actor=actor, institution=grant.institution,
            action="staff.role_granted" if approve else "staff.role_grant_declined", target=grant,
            after={"role": grant.role, "operator": operator},
            message=note,
        )
    return grant


def _grant(grant: RoleGrantRequest, *, approver, now) -> Staff:
    if grant.is_new_account:
        _require_new_username_at_approval(grant)
        staff = Staff(
            username=grant.username, display_name=grant.display_name, institution_id=grant.institution_id,
            department=grant.department, role=grant.role, password=grant.password_hash,
            created_by_id=grant.requested_by_id, created_via=StaffOrigin.ROLE_GRANT,
        )
    else:
        staff = Staff.objects.select_for_update().get(pk=grant.staff_id)
        if not staff.is_active or staff.institution_id != grant.institution_id:
            raise ValidationError("対象の職員のアカウントが無効です。", code="not_found")
        staff.role = grant.role
    staff.role_granted_at = now
    staff.role_requested_by_id = grant.requested_by_id
    staff.role_approved_by = approver
    staff.full_clean()
    staff.save()
    return staff


def _require_new_username_at_approval(grant: RoleGrantRequest) -> None:
    if Staff.objects.filter(username__iexact=grant.username).exists():
        raise ValidationError("このユーザー名はすでに使われています（依頼を却下してください）。", code="duplicate")


def deactivate_staff(*, actor, staff: Staff, reason: str) -> Staff:
    """A 責任者 turns off an account of their insurer (not their own). It can no longer sign in or approve."""
    _require_supervisor(actor, "職員の無効化は責任者のみが行えます。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        staff = Staff.objects.select_for_update().filter(pk=staff.pk, institution_id=actor.institution_id).first()
        if staff is None:
            raise ValidationError("対象の職員が見つかりません。", code="not_found")
        if staff.pk == actor.pk:
            raise ValidationError("ご自身のアカウントは無効にできません。", code="self")
        if not staff.is_active:
            raise ValidationError("この職員はすでに無効です。", code="already_decided")
        staff.is_active = False
        staff.save(update_fields=["is_active"])
        record(actor=actor, action="staff.deactivated", target=staff, message=reason)
    return staff
