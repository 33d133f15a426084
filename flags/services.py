"""Clearing a setting through four eyes: the request (asking the card-procedure gate) and the decision.

The other acts on settings and cases live beside it, by concept; their public names stay importable from here:
flags.setting_changes (set a setting, a municipality's own setting), flags.cases (open a case, its checklist),
flags.card_gate (the case ① gate on clearing). Each act runs in one transaction: role and insurer, validate,
save, audit entry.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from flags.card_gate import card_procedure_case, card_procedure_gate, card_procedures_of, gate_for
from flags.cases import (
    CHECKLIST_FIELDS,
    OpenCaseExists,
    case_settings_to_set,
    default_review_date,
    open_protection_case,
    update_case_checklist,
)
from flags.models import ClearingRequest, ClearingRequestState, Setting
from flags.selectors import lock_person_settings
from flags.setting_changes import mark_cleared, set_peer_setting, set_setting, setting_snapshot
from institutions.access import require_changer, require_independent_approver
from institutions.models import Role

__all__ = [
    "CHECKLIST_FIELDS", "OpenCaseExists", "card_procedure_case", "card_procedure_gate", "card_procedures_of",
    "case_settings_to_set", "clearing_refusal", "decide_clearing", "default_review_date", "open_protection_case",
    "request_clearing", "set_peer_setting", "set_setting", "update_case_checklist",
]


def request_clearing(*, actor, setting: Setting, reason: str, override_reason: str = "") -> ClearingRequest:
    """A clerk or supervisor asks to clear a setting; it stays in force until another supervisor approves."""
    require_changer(actor)
    if setting.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定は解除できません。", code="other_insurer")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "解除理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        setting = Setting.objects.select_for_update().get(pk=setting.pk)
        if not setting.is_active:
            raise ValidationError("この設定はすでに解除されています。", code="already_cleared")
        if ClearingRequest.objects.filter(setting=setting, state=ClearingRequestState.PENDING).exists():
            raise ValidationError("この設定にはすでに承認待ちの解除依頼があります。", code="pending_exists")
        override = card_procedure_gate(actor=actor, setting=setting, override_reason=override_reason)
        request = ClearingRequest.objects.create(
            setting=setting,
            institution_id=setting.institution_id,
            reason=reason,
            requested_at=timezone.now(),
            requested_by=actor,
            requested_by_name=str(actor),
            override_reason=override,
            override_by_name=str(actor) if override else "",
        )
        record(actor=actor, action="setting.clear_requested", target=setting, message=reason)
        if override:
            record(
                actor=actor, action="setting.clear_override", target=setting,
                after={"clearing_request": request.pk, "gate": gate_for(setting)[1].reasons}, message=override,
            )
    return request


def clearing_refusal(*, actor, clearing_request: ClearingRequest) -> Exception | None:
    """Why `actor` may not decide this clearing request, or None when they may: a supervisor of the same insurer, on a
    pending request, who is not its requester (four eyes). Pages ask it before offering the buttons; decide_clearing
    raises what it returns."""
    if not getattr(actor, "is_insurer_staff", False) or actor.role != Role.SUPERVISOR:
        return PermissionDenied("解除の承認は責任者のみが行えます。")
    if clearing_request.institution_id != actor.institution_id:
        return ValidationError("他の保険者の解除依頼は扱えません。", code="other_insurer")
    if clearing_request.state != ClearingRequestState.PENDING:
        return ValidationError("この解除依頼はすでに処理されています。", code="already_decided")
    try:  # nor an account made at the requester's request or after the request (insider's four eyes that hold)
        require_independent_approver(
            actor, requested_by=clearing_request.requested_by_id, requested_at=clearing_request.requested_at
        )
    except ValidationError as exc:
        return exc
    return None


def decide_clearing(*, actor, clearing_request: ClearingRequest, approve: bool, note: str = "") -> ClearingRequest:
    """A supervisor other than the requester approves (the setting is cleared) or rejects a clearing request."""
    if isinstance(refusal := clearing_refusal(actor=actor, clearing_request=clearing_request), PermissionDenied):
        raise refusal
    with transaction.atomic():
        clearing_request = ClearingRequest.objects.select_for_update().get(pk=clearing_request.pk)
        if refusal := clearing_refusal(actor=actor, clearing_request=clearing_request):  # re-read under the lock
            raise refusal
        if approve:  # the checklist may have changed since the request: ask the gate again
            card_procedure_gate(
                actor=actor, setting=clearing_request.setting,
                override_reason=clearing_request.override_reason,
            )
        now = timezone.now()
        clearing_request.state = ClearingRequestState.APPROVED if approve else ClearingRequestState.REJECTED
        clearing_request.decided_at = now
        clearing_request.decided_by = actor
        clearing_request.decided_by_name = str(actor)
        clearing_request.decision_note = note
        clearing_request.save()
        setting = Setting.objects.select_for_update().get(pk=clearing_request.setting_id)
        lock_person_settings(institution_id=setting.institution_id, person_id=setting.person_id)
        if approve:
            before = setting_snapshot(setting)
            mark_cleared(setting, approver=actor, requester=clearing_request.requested_by,
                          requester_name=clearing_request.requested_by_name, reason=clearing_request.reason, now=now)
            record(
                actor=actor,
                action="setting.cleared",
                target=setting,
                before=before,
                after=setting_snapshot(setting),
                message=f"{clearing_request.reason}（承認: {actor}）",
            )
        else:
            record(actor=actor, action="setting.clear_rejected", target=setting, message=note)
    return clearing_request
