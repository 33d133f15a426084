"""Opening a protection case (設定対象者, 別紙2 §2–3) with the settings it needs, and its dated カード停止等手続
checklist. Each act runs in one transaction: role and insurer, validate, save, audit entry.
"""

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from flags.links import link_persons
from flags.models import ProtectionCase, SettingSource
from flags.policy import (
    NO_PROTECTION_CHOSEN,
    SettingKind,
    case_conditions_unmet,
    case_protects,
    checklist_date_problems,
)
from flags.selectors import whole_member_kinds
from flags.setting_changes import require_own_member, set_setting
from institutions.access import require_changer
from members.models import Member, Person


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
    require_own_member(actor, member)
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
        active_kinds = whole_member_kinds(member.pk)
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
    snapshot = {f: (str(getattr(case, f)) if getattr(case, f) else None) for f in CHECKLIST_FIELDS}
    snapshot["card_suspension_not_applicable"] = case.card_suspension_not_applicable
    snapshot["card_suspension_not_applicable_reason"] = case.card_suspension_not_applicable_reason
    return snapshot


def _not_applicable_errors(case: ProtectionCase) -> dict:
    """「対象外」 needs its reason, and leaves no suspension dates beside it (a suspension that never happened)."""
    if not case.card_suspension_not_applicable:
        return {}
    errors = {}
    if not case.card_suspension_not_applicable_reason:
        errors["card_suspension_not_applicable_reason"] = "カード停止を対象外とする理由を入力してください。"
    if case.card_suspension_advised_on or case.card_suspension_confirmed_on:
        errors["card_suspension_not_applicable"] = "カード停止を対象外とする場合は、カード停止の日付を空欄にしてください。"
    return errors


def update_case_checklist(
    *,
    actor,
    case: ProtectionCase,
    notes: str | None = None,
    card_suspension_not_applicable: bool | None = None,
    card_suspension_not_applicable_reason: str | None = None,
    **dates: datetime.date | None,
) -> ProtectionCase:
    """Record the dates of the カード停止等手続 checklist (別紙2 §3 ①). Only the fields given change; None empties one.

    Card suspension may be marked 「対象外」 with a reason when only the proxy was the threat. Clearing the flags
    afterwards goes through request_clearing, which asks flags.card_gate (the dates and Nakama's own facts).
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
        if card_suspension_not_applicable is not None:
            case.card_suspension_not_applicable = bool(card_suspension_not_applicable)
        if card_suspension_not_applicable_reason is not None:
            case.card_suspension_not_applicable_reason = card_suspension_not_applicable_reason.strip()
        if not case.card_suspension_not_applicable:
            case.card_suspension_not_applicable_reason = ""
        errors = _not_applicable_errors(case)
        errors |= checklist_date_problems({f: getattr(case, f) for f in CHECKLIST_FIELDS}, today=today)
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
