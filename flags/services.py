"""The one way to change a setting, open a protection case, and clear a setting (four eyes).

Each function runs in one transaction: check the actor's role and insurer, validate, save, write the audit entry.
"""

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from flags.links import link_persons
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase, Setting, SettingSource
from flags.policy import (
    NO_PROTECTION_CHOSEN,
    SETTING_LABELS,
    CardProcedures,
    SettingKind,
    card_procedures_missing,
    case_conditions_unmet,
    case_protects,
    checklist_date_problems,
    clearing_waits_for_card_procedures,
)
from flags.selectors import lock_person_settings
from institutions.access import require_changer, require_independent_approver
from institutions.models import Institution, Role
from members.models import InfoItem, Member, Person


def _require_own_member(actor, member: Member) -> None:
    if member.insurer_id != actor.institution_id:
        raise ValidationError("他の保険者の被保険者には設定できません。", code="other_insurer")


def _setting_snapshot(setting: Setting) -> dict:
    return {
        "kind": setting.kind,
        "scope": setting.scope_label,
        "state": setting.state_label,
        "member": setting.member.branch_number if setting.member_id else None,
    }


def set_setting(
    *,
    actor,
    member: Member,
    kind: SettingKind | str,
    reason: str,
    item: InfoItem | None = None,
    source: str = SettingSource.CONSOLE,
    case: ProtectionCase | None = None,
) -> Setting:
    """Set 不開示該当 / 自己情報提供不可 / 自動応答不可 on one of the actor's members, whole or for one item kind."""
    require_changer(actor)
    _require_own_member(actor, member)
    try:
        kind = SettingKind(kind)
    except ValueError:
        raise ValidationError({"kind": "設定種別が正しくありません。"}, code="invalid_kind") from None
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "設定理由を入力してください。"}, code="reason_required")
    return write_setting(actor=actor, member=member, kind=kind, reason=reason, item=item, source=source, case=case)


def write_setting(
    *, actor, member: Member, kind: SettingKind, reason: str, item: InfoItem | None, source: str,
    case: ProtectionCase | None,
) -> Setting:
    """The write of set_setting, after its checks: lock, refuse a duplicate, save, audit. Called directly only by
    flags.handover, whose actor may be none (引継ぎによる仮設定 made by the system when she joins)."""
    with transaction.atomic():
        lock_person_settings(institution_id=member.insurer_id, person_id=member.person_id)
        if Setting.objects.active().filter(member=member, kind=kind, item=item).exists():
            scope = item.name if item else "全体"
            raise ValidationError(f"{SETTING_LABELS[kind]}（{scope}）はすでに設定されています。", code="duplicate")
        setting = Setting(
            institution_id=member.insurer_id,
            member=member,
            person_id=member.person_id,
            kind=kind,
            item=item,
            source=source,
            case=case,
            reason=reason,
            set_at=timezone.now(),
            set_by=actor,
            set_by_name=str(actor) if actor is not None else SettingSource(source).label,
        )
        setting.full_clean()
        try:
            with transaction.atomic():
                setting.save()
        except IntegrityError:
            raise ValidationError(f"{SETTING_LABELS[kind]}はすでに設定されています。", code="duplicate") from None
        record(
            actor=actor,
            institution=member.insurer if actor is None else None,  # the system's act is still the insurer's
            action="setting.set",
            target=setting,
            after=_setting_snapshot(setting),
            message=reason,
        )
    return setting


def card_procedure_case(setting: Setting) -> ProtectionCase | None:
    """The case ① that holds this setting back until カード停止等手続 is confirmed (別紙2 §3 ①), if any:
    the case that set it, or an open case ① of the same member."""
    if setting.member_id is None:
        return None
    cases = ProtectionCase.objects.filter(member_id=setting.member_id, case_card_or_proxy=True)
    if setting.case_id:
        case = cases.filter(pk=setting.case_id).first()
        if case is not None:
            return case
    return cases.filter(closed_at__isnull=True).order_by("-opened_at").first()


def card_procedures_of(case: ProtectionCase) -> CardProcedures:
    return CardProcedures(
        card_suspension_confirmed_on=case.card_suspension_confirmed_on,
        proxy_cancel_confirmed_on=case.proxy_cancel_confirmed_on,
        number_change_advised_on=case.number_change_advised_on,
        number_change_confirmed_on=case.number_change_confirmed_on,
    )


def card_procedure_gate(*, actor, setting: Setting, override_reason: str = "") -> str:
    """別紙2 §3 ①: clearing 不開示該当 / 自己情報提供不可 of a case ① waits for dated confirmation of カード停止等手続,
    unless a 責任者 overrides it stating why. Returns the override reason to record ("" when none was needed)."""
    case = card_procedure_case(setting)
    if case is None or not clearing_waits_for_card_procedures(setting.kind, case_card_or_proxy=True):
        return ""
    missing = card_procedures_missing(card_procedures_of(case))
    if not missing:
        return ""
    override_reason = (override_reason or "").strip()
    if not override_reason:
        raise ValidationError(
            f"ケース①の設定対象者です。カード停止等手続の完了が確認されていません（未記録: {'、'.join(missing)}）。"
            "設定対象者の画面で完了を確認した日を記録するか、責任者が理由を記入して依頼してください。",
            code="card_procedures_incomplete",
        )
    if getattr(actor, "role", None) != Role.SUPERVISOR:
        raise ValidationError(
            {"override_reason": "カード停止等手続の完了前の解除依頼は、責任者のみが理由を記入して行えます。"},
            code="override_supervisor_only",
        )
    return override_reason


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
                after={"clearing_request": request.pk}, message=override,
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
    try:  # four eyes by provenance: institutions.access, the one rule
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
            before = _setting_snapshot(setting)
            _mark_cleared(setting, approver=actor, requester=clearing_request.requested_by,
                          requester_name=clearing_request.requested_by_name, reason=clearing_request.reason, now=now)
            record(
                actor=actor,
                action="setting.cleared",
                target=setting,
                before=before,
                after=_setting_snapshot(setting),
                message=f"{clearing_request.reason}（承認: {actor}）",
            )
        else:
            record(actor=actor, action="setting.clear_rejected", target=setting, message=note)
    return clearing_request


def _mark_cleared(setting: Setting, *, approver, requester, requester_name: str, reason: str, now) -> None:
    """解除者 is the approving supervisor; the requester is kept beside it."""
    setting.cleared_at = now
    setting.cleared_by = approver
    setting.cleared_by_name = str(approver)
    setting.clear_requested_by = requester
    setting.clear_requested_by_name = requester_name
    setting.clear_reason = reason
    setting.save(update_fields=[
        "cleared_at", "cleared_by", "cleared_by_name", "clear_requested_by", "clear_requested_by_name", "clear_reason",
    ])


class OpenCaseExists(ValidationError):
    """A second open case for the same member: refused, pointing at the open one."""

    def __init__(self, case: ProtectionCase):
        super().__init__(
            f"この被保険者にはすでに対応中の設定対象者（ID {case.pk}）があります。その画面から対応してください。",
            code="open_case_exists",
        )
        self.case = case


def default_review_date(opened: datetime.date) -> datetime.date:
    """One year from opening (29 February → 28 February)."""
    try:
        return opened.replace(year=opened.year + 1)
    except ValueError:
        return opened.replace(year=opened.year + 1, day=28)


def case_settings_to_set(
    *, case_card_or_proxy: bool, wants_non_disclosure: bool, wants_no_self_info: bool, no_auto_response_wanted: bool
) -> list[SettingKind]:
    """The whole-member settings a registration asks for. Case ① pre-selects 不開示該当 and 自己情報提供不可."""
    if case_card_or_proxy:
        wants_non_disclosure = wants_no_self_info = True
    wanted = [
        (SettingKind.NON_DISCLOSURE, wants_non_disclosure),
        (SettingKind.NO_SELF_INFO, wants_no_self_info),
        (SettingKind.NO_AUTO_RESPONSE, no_auto_response_wanted),
    ]
    return [kind for kind, flag in wanted if flag]


def open_protection_case(
    *,
    actor,
    member: Member,
    victim_confirmed: bool,
    fled_confirmed: bool,
    requested_by_person: bool,
    need_evident: bool = False,
    request_date=None,
    case_card_or_proxy: bool = False,
    case_inquiry_about_abuser: bool = False,
    wants_non_disclosure: bool = True,
    wants_no_self_info: bool = False,
    no_auto_response_wanted: bool = False,
    linked_persons: Sequence[Person] = (),
    notes: str = "",
    reason: str = "",
    source: str = SettingSource.CASE,
) -> ProtectionCase:
    """Record a 設定対象者 and set, in the same step, the settings the case needs (別紙2 §2–3).

    Case ①: 不開示該当 and 自己情報提供不可 on the whole member until カード停止等手続 is confirmed.
    自動応答不可 where the person does not want automatic answers.
    """
    require_changer(actor)
    _require_own_member(actor, member)
    errors = case_conditions_unmet(victim_confirmed=victim_confirmed, fled_confirmed=fled_confirmed,
                                   requested_by_person=requested_by_person, need_evident=need_evident)
    if any(person.pk == member.person_id for person in linked_persons):
        errors["linked_persons"] = "設定対象者本人を要注意照会対象者（加害者など）にすることはできません。"
    if errors:
        raise ValidationError(errors)
    kinds = case_settings_to_set(
        case_card_or_proxy=case_card_or_proxy, wants_non_disclosure=wants_non_disclosure,
        wants_no_self_info=wants_no_self_info, no_auto_response_wanted=no_auto_response_wanted,
    )
    if not case_protects(kinds):
        raise ValidationError(NO_PROTECTION_CHOSEN)
    reason = (reason or "").strip() or "設定対象者（別紙2）として登録"
    with transaction.atomic():
        # One open case per member (the partial unique constraint backs this up against a race).
        Member.objects.select_for_update().filter(pk=member.pk).first()
        open_case = ProtectionCase.objects.filter(member=member, closed_at__isnull=True).first()
        if open_case is not None:
            raise OpenCaseExists(open_case)
        now = timezone.now()
        case = ProtectionCase(
            institution_id=member.insurer_id,
            member=member,
            victim_confirmed=victim_confirmed,
            fled_confirmed=fled_confirmed,
            requested_by_person=requested_by_person,
            need_evident=need_evident,
            request_date=request_date,
            case_card_or_proxy=case_card_or_proxy,
            case_inquiry_about_abuser=case_inquiry_about_abuser,
            no_auto_response_wanted=no_auto_response_wanted,
            notes=notes,
            opened_at=now,
            opened_by=actor,
            review_on=default_review_date(timezone.localdate(now)),
        )
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError:
            raise OpenCaseExists(
                ProtectionCase.objects.filter(member=member, closed_at__isnull=True).first() or case
            ) from None
        record(actor=actor, action="case.opened", target=case, after={"review_on": str(case.review_on)},
               message=reason)
        link_persons(actor=actor, case=case, persons=dict.fromkeys(linked_persons), reason=reason)
        active_kinds = set(
            Setting.objects.active().filter(member=member, item__isnull=True).values_list("kind", flat=True)
        )
        for kind in kinds:
            if kind not in active_kinds:
                set_setting(actor=actor, member=member, kind=kind, reason=reason, source=source, case=case)
    return case


CHECKLIST_FIELDS = (
    "card_suspension_advised_on",
    "card_suspension_confirmed_on",
    "proxy_cancel_advised_on",
    "proxy_cancel_confirmed_on",
    "number_change_advised_on",
    "number_change_confirmed_on",
)


def _checklist_snapshot(case: ProtectionCase) -> dict:
    return {f: (str(getattr(case, f)) if getattr(case, f) else None) for f in CHECKLIST_FIELDS}


def update_case_checklist(
    *, actor, case: ProtectionCase, notes: str | None = None, **dates: datetime.date | None
) -> ProtectionCase:
    """Record the dates of the カード停止等手続 checklist (別紙2 §3 ①). Only the fields given change; None empties one.

    Clearing the flags afterwards goes through request_clearing, which asks card_procedure_gate.
    """
    require_changer(actor)
    if case.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定対象者は扱えません。", code="other_insurer")
    unknown = set(dates) - set(CHECKLIST_FIELDS)
    if unknown:
        raise ValidationError(f"不明な項目です: {', '.join(sorted(unknown))}")
    today = timezone.localdate()
    with transaction.atomic():
        case = ProtectionCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError("終了した設定対象者の手続状況は変更できません。", code="case_closed")
        before = _checklist_snapshot(case)
        for field, value in dates.items():
            if value is not None and not isinstance(value, datetime.date):
                raise ValidationError({field: "日付で入力してください。"}, code="invalid_date")
            setattr(case, field, value)
        errors = checklist_date_problems({f: getattr(case, f) for f in CHECKLIST_FIELDS}, today=today)
        if errors:
            raise ValidationError(errors, code="invalid_checklist")
        if notes is not None:
            case.notes = notes
        case.save()
        record(
            actor=actor,
            action="case.checklist_updated",
            target=case,
            before=before,
            after=_checklist_snapshot(case),
        )
    return case


def set_peer_setting(
    *, institution: Institution, person: Person, kind: SettingKind | str, reason: str, item: InfoItem | None = None
) -> Setting:
    """A simulated municipality sets its own flag on a resident (peer behaviour; no staff of ours involved)."""
    if institution.is_tenant:
        raise ValidationError("Nakama利用保険者の設定は set_setting で行ってください。")
    kind = SettingKind(kind)
    with transaction.atomic():
        lock_person_settings(institution_id=institution.pk, person_id=person.pk)
        existing = Setting.objects.active().filter(institution=institution, person=person, kind=kind, item=item).first()
        if existing:
            return existing
        setting = Setting.objects.create(
            institution=institution,
            person=person,
            kind=kind,
            item=item,
            source=SettingSource.PEER,
            reason=reason or "自治体による設定",
            set_at=timezone.now(),
            set_by_name=institution.name,
        )
        record(actor=None, institution=None, action="peer.setting.set", target=setting, message=reason)
    return setting
