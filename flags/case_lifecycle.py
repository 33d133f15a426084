"""The later life of a protection case (設定対象者): its review date and its closure (four eyes).

Nothing expires by itself: a case stays open, and its settings in force, until a supervisor other than the requester
approves its closure. Each function runs in one transaction: role and insurer, validate, save, audit entry.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record
from flags.card_gate import card_procedure_gate
from flags.models import CaseClosure, ClearingRequest, ClearingRequestState, ProtectionCase, Setting
from flags.selectors import lock_person_settings
from flags.setting_changes import mark_cleared, setting_snapshot
from institutions.access import require_changer, require_independent_approver
from institutions.models import Role

# How far ahead a review may be put: a case is looked at again at least this often.
MAX_REVIEW_AHEAD = datetime.timedelta(days=3 * 366)


def _require_own_case(actor, case: ProtectionCase) -> None:
    if case.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定対象者は扱えません。", code="other_insurer")


def _require_supervisor(actor, message: str) -> None:
    if not getattr(actor, "is_insurer_staff", False) or actor.role != Role.SUPERVISOR:
        raise PermissionDenied(message)


def set_review_date(*, actor, case: ProtectionCase, review_on: datetime.date, reason: str) -> ProtectionCase:
    """Staff set when an open case is next reviewed (default: one year from opening)."""
    require_changer(actor)
    _require_own_case(actor, case)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "見直し日を変更する理由を入力してください。"
    today = timezone.localdate()
    if not isinstance(review_on, datetime.date):
        errors["review_on"] = "見直し日を日付で入力してください。"
    elif review_on < today:
        errors["review_on"] = "見直し日は今日以降の日付にしてください。"
    elif review_on > today + MAX_REVIEW_AHEAD:
        errors["review_on"] = "見直し日は3年以内の日付にしてください。"
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        case = ProtectionCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError("終了した設定対象者の見直し日は変更できません。", code="case_closed")
        before = {"review_on": str(case.review_on)}
        case.review_on = review_on
        case.save(update_fields=["review_on"])
        record(actor=actor, action="case.review_date_set", target=case, before=before,
               after={"review_on": str(review_on)}, message=reason)
    return case


def cases_due_for_review(cases: QuerySet, *, on: datetime.date | None = None) -> QuerySet:
    """Open cases whose review date has come (on or before `on`, default today), oldest first."""
    on = on or timezone.localdate()
    return cases.filter(closed_at__isnull=True, review_on__lte=on).order_by("review_on", "pk")


def settings_in_force(case: ProtectionCase) -> list[Setting]:
    """The settings this case set that are still in force."""
    return list(Setting.objects.active().filter(case=case).select_related("item", "member"))


def _closure_problems(*, actor, case: ProtectionCase, clear_settings: bool, override_reason: str) -> str:
    """Refuse a closure while a protection the case set is in force (unless it is cleared in the same step).
    Returns the override reason to record for case ①'s card-procedure gate."""
    active = settings_in_force(case)
    if active and not clear_settings:
        labels = "、".join(str(s) for s in active)
        raise ValidationError(
            f"この設定対象者で設定したフラグがまだ有効です（{labels}）。解除するか、終了と同時に解除する指定をしてください。",
            code="settings_in_force",
        )
    if ClearingRequest.objects.filter(setting__in=active, state=ClearingRequestState.PENDING).exists():
        raise ValidationError(
            "承認待ちの解除依頼があります。先にその解除依頼を承認または却下してください。", code="pending_exists"
        )
    override = ""
    for setting in active:
        override = card_procedure_gate(actor=actor, setting=setting, override_reason=override_reason) or override
    return override


def request_case_closure(
    *, actor, case: ProtectionCase, reason: str, clear_settings: bool = False, override_reason: str = ""
) -> CaseClosure:
    """Staff ask to close a case; it stays open until a supervisor other than the requester approves."""
    require_changer(actor)
    _require_own_case(actor, case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "終了理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        case = ProtectionCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError("この設定対象者はすでに終了しています。", code="already_closed")
        if CaseClosure.objects.filter(case=case, state=ClearingRequestState.PENDING).exists():
            raise ValidationError("この設定対象者にはすでに承認待ちの終了依頼があります。", code="pending_exists")
        override = _closure_problems(
            actor=actor, case=case, clear_settings=clear_settings, override_reason=override_reason
        )
        try:
            with transaction.atomic():
                closure = CaseClosure.objects.create(
                    case=case, institution_id=case.institution_id, reason=reason, clear_settings=clear_settings,
                    override_reason=override, override_by_name=str(actor) if override else "",
                    requested_at=timezone.now(), requested_by=actor, requested_by_name=str(actor),
                )
        except IntegrityError:
            raise ValidationError(
                "この設定対象者にはすでに承認待ちの終了依頼があります。", code="pending_exists"
            ) from None
        record(actor=actor, action="case.close_requested", target=case,
               after={"closure": closure.pk, "clear_settings": clear_settings}, message=reason)
        if override:
            record(actor=actor, action="case.close_override", target=case, after={"closure": closure.pk},
                   message=override)
    return closure


def decide_case_closure(*, actor, closure: CaseClosure, approve: bool, note: str = "") -> CaseClosure:
    """A supervisor other than the requester approves (the case closes; its settings are cleared if asked) or
    rejects. History stays: the case, its settings and their records are kept, marked closed / cleared."""
    _require_supervisor(actor, "設定対象者の終了の承認は責任者のみが行えます。")
    if closure.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の終了依頼は扱えません。", code="other_insurer")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "却下する場合は理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        closure = CaseClosure.objects.select_for_update().get(pk=closure.pk)
        if closure.state != ClearingRequestState.PENDING:
            raise ValidationError("この終了依頼はすでに処理されています。", code="already_decided")
        # Four eyes by provenance (institutions.access, the one rule).
        require_independent_approver(actor, requested_by=closure.requested_by_id, requested_at=closure.requested_at)
        case = ProtectionCase.objects.select_for_update().get(pk=closure.case_id)
        now = timezone.now()
        if approve:
            _closure_problems(actor=actor, case=case, clear_settings=closure.clear_settings,
                              override_reason=closure.override_reason)
        # Decided before the settings are cleared: the database clears a setting only under an approved request
        # (audit/guarded.py).
        closure.state = ClearingRequestState.APPROVED if approve else ClearingRequestState.REJECTED
        closure.decided_at = now
        closure.decided_by = actor
        closure.decided_by_name = str(actor)
        closure.decision_note = note
        closure.save()
        if approve:
            for setting in settings_in_force(case):
                lock_person_settings(institution_id=setting.institution_id, person_id=setting.person_id)
                setting = Setting.objects.select_for_update().get(pk=setting.pk)
                before = setting_snapshot(setting)
                mark_cleared(setting, approver=actor, requester=closure.requested_by,
                              requester_name=closure.requested_by_name,
                              reason=f"設定対象者の終了: {closure.reason}", now=now)
                record(actor=actor, action="setting.cleared", target=setting, before=before,
                       after=setting_snapshot(setting), message=f"設定対象者の終了に伴う解除（承認: {actor}）")
            case.closed_at = now
            case.closed_by = actor
            case.closed_by_name = str(actor)
            case.close_reason = closure.reason
            case.save(update_fields=["closed_at", "closed_by", "closed_by_name", "close_reason"])
        record(actor=actor, action="case.closed" if approve else "case.close_rejected", target=case,
               after={"closure": closure.pk}, message=note or closure.reason)
    return closure
