"""Issue 10 points 2, 4, 5, 6 as services: registration by 別紙2 §2 alone and one open case per member; clearing a
case ① protection only after the dated カード停止等手続 (or a 責任者's stated override); closing a case through four
eyes; a review date that never expires anything."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEntry
from flags import selectors
from flags.case_lifecycle import (
    cases_due_for_review,
    decide_case_closure,
    request_case_closure,
    set_review_date,
)
from flags.models import ClearingRequestState, ProtectionCase, Setting
from flags.policy import SettingKind
from flags.services import (
    OpenCaseExists,
    decide_clearing,
    open_protection_case,
    request_clearing,
    set_setting,
    update_case_checklist,
)
from tests import factories as f

DAY = datetime.date(2026, 4, 3)


def _open(actor, member, **kw):
    base = {"victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True}
    return open_protection_case(actor=actor, member=member, **(base | kw))


def _whole(member, kind):
    return Setting.objects.active().get(member=member, kind=kind, item__isnull=True)


def _procedures_done(actor, case, **extra):
    dates = {"card_suspension_advised_on": DAY, "card_suspension_confirmed_on": DAY,
             "proxy_cancel_advised_on": DAY, "proxy_cancel_confirmed_on": DAY}
    return update_case_checklist(actor=actor, case=case, **(dates | extra))


# Point 2: 別紙2 §2 alone decides; cases ① and ② describe the threat.


def test_victim_meeting_a_i_and_u_without_case_1_or_2_is_registered(alice, victim):
    case = _open(alice, victim)
    assert not case.case_card_or_proxy and not case.case_inquiry_about_abuser
    assert _whole(victim, SettingKind.NON_DISCLOSURE).case == case


def test_evident_need_without_request_and_without_case_1_or_2_is_registered(alice, victim):
    case = _open(alice, victim, requested_by_person=False, need_evident=True, wants_no_self_info=True)
    assert set(case.settings.values_list("kind", flat=True)) == {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}


def test_case_1_preselects_non_disclosure_and_no_self_info_on_the_whole_member(alice, victim):
    case = _open(alice, victim, case_card_or_proxy=True, wants_non_disclosure=False)
    assert set(case.settings.filter(item__isnull=True).values_list("kind", flat=True)) == {
        SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO,
    }


def test_second_open_case_for_the_same_member_is_refused_pointing_at_the_open_one(alice, victim):
    first = _open(alice, victim)
    with pytest.raises(OpenCaseExists) as exc:
        _open(alice, victim, case_inquiry_about_abuser=True)
    assert exc.value.case == first and exc.value.code == "open_case_exists"
    assert f"ID {first.pk}" in exc.value.messages[0]
    assert ProtectionCase.objects.filter(member=victim).count() == 1


def test_the_database_refuses_a_second_open_case_row(alice, victim):
    first = _open(alice, victim)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtectionCase.objects.create(
            institution_id=first.institution_id, member=victim, opened_at=timezone.now(), review_on=DAY,
        )


# Point 4: clearing a case ① protection after the dated card procedures, or a supervisor's stated override.


def test_clerk_cannot_ask_to_clear_case_1_non_disclosure_before_card_suspension_is_confirmed(alice, victim):
    case = _open(alice, victim, case_card_or_proxy=True)
    nd = _whole(victim, SettingKind.NON_DISCLOSURE)
    with pytest.raises(ValidationError, match="カード停止等手続の完了が確認されていません") as exc:
        request_clearing(actor=alice, setting=nd, reason="本人から解除の申出")
    assert exc.value.code == "card_procedures_incomplete"
    # Ticked as advised only: still refused, for both settings case ① set.
    update_case_checklist(actor=alice, case=case, card_suspension_advised_on=DAY, proxy_cancel_advised_on=DAY)
    for kind in (SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO):
        with pytest.raises(ValidationError, match="カード停止の完了確認日"):
            request_clearing(actor=alice, setting=_whole(victim, kind), reason="本人から解除の申出")
    assert not AuditEntry.objects.filter(action="setting.clear_requested").exists()


def test_case_1_flags_clear_once_the_card_procedures_are_confirmed_with_dates(alice, sam, victim):
    case = _open(alice, victim, case_card_or_proxy=True)
    _procedures_done(alice, case)
    req = request_clearing(actor=alice, setting=_whole(victim, SettingKind.NO_SELF_INFO), reason="手続の完了を確認")
    decide_clearing(actor=sam, clearing_request=req, approve=True)
    assert not Setting.objects.get(pk=req.setting_id).is_active


def test_a_new_number_advised_must_also_be_confirmed_before_clearing(alice, victim):
    case = _open(alice, victim, case_card_or_proxy=True)
    _procedures_done(alice, case, number_change_advised_on=DAY)
    with pytest.raises(ValidationError, match="個人番号の変更・カード再交付の完了確認日"):
        request_clearing(actor=alice, setting=_whole(victim, SettingKind.NON_DISCLOSURE), reason="解除の申出")
    update_case_checklist(actor=alice, case=case, number_change_confirmed_on=DAY + datetime.timedelta(days=20))
    assert request_clearing(actor=alice, setting=_whole(victim, SettingKind.NON_DISCLOSURE), reason="解除の申出")


def test_a_completion_date_before_its_advice_or_in_the_future_is_refused(alice, victim):
    case = _open(alice, victim, case_card_or_proxy=True)
    with pytest.raises(ValidationError) as exc:
        update_case_checklist(actor=alice, case=case, card_suspension_confirmed_on=DAY)
    assert "card_suspension_confirmed_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        update_case_checklist(actor=alice, case=case, card_suspension_advised_on=DAY,
                              card_suspension_confirmed_on=DAY - datetime.timedelta(days=1))
    assert "card_suspension_confirmed_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        update_case_checklist(actor=alice, case=case,
                              card_suspension_advised_on=timezone.localdate() + datetime.timedelta(days=1))
    assert "card_suspension_advised_on" in exc.value.message_dict


def test_supervisor_override_states_why_and_is_recorded_and_audited(alice, sam, sue, victim):
    _open(alice, victim, case_card_or_proxy=True)
    nd = _whole(victim, SettingKind.NON_DISCLOSURE)
    with pytest.raises(ValidationError) as exc:
        request_clearing(actor=alice, setting=nd, reason="申出", override_reason="急ぎのため")
    assert exc.value.message_dict == {"override_reason": [
        "カード停止等手続の完了前の解除依頼は、責任者のみが理由を記入して行えます。"]}
    req = request_clearing(actor=sam, setting=nd, reason="本人の強い希望",
                           override_reason="加害者の死亡を確認したため、カード停止を待たずに解除する")
    assert req.override_reason.startswith("加害者の死亡") and req.override_by_name == str(sam)
    entry = AuditEntry.objects.get(action="setting.clear_override")
    assert entry.actor == sam and entry.message == req.override_reason
    decide_clearing(actor=sue, clearing_request=req, approve=True)
    assert not Setting.objects.get(pk=nd.pk).is_active


def test_approval_asks_the_gate_again_when_the_checklist_was_emptied(alice, sam, victim):
    case = _open(alice, victim, case_card_or_proxy=True)
    _procedures_done(alice, case)
    req = request_clearing(actor=alice, setting=_whole(victim, SettingKind.NON_DISCLOSURE), reason="完了を確認")
    update_case_checklist(actor=alice, case=case, card_suspension_confirmed_on=None)
    with pytest.raises(ValidationError, match="カード停止の完了確認日"):
        decide_clearing(actor=sam, clearing_request=req, approve=True)
    req.refresh_from_db()
    assert req.state == ClearingRequestState.PENDING and _whole(victim, SettingKind.NON_DISCLOSURE)


def test_outside_case_1_and_for_no_auto_response_clearing_needs_no_card_procedures(alice, victim, insurer_a):
    _open(alice, victim, case_card_or_proxy=True, no_auto_response_wanted=True)
    assert request_clearing(actor=alice, setting=_whole(victim, SettingKind.NO_AUTO_RESPONSE), reason="本人の希望")
    other = f.MemberFactory(insurer=insurer_a)
    _open(alice, other, case_inquiry_about_abuser=True)
    assert request_clearing(actor=alice, setting=_whole(other, SettingKind.NON_DISCLOSURE), reason="本人の希望")


def test_a_flag_set_by_hand_on_a_case_1_member_also_waits_for_the_card_procedures(alice, victim, items):
    _open(alice, victim, case_card_or_proxy=True)
    by_hand = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE,
                          item=items["medical_eligibility"], reason="念のため")
    with pytest.raises(ValidationError, match="カード停止等手続"):
        request_clearing(actor=alice, setting=by_hand, reason="不要になった")


# Point 5: closing a case, four eyes, only with no protection of it left in force.


def test_case_with_its_flags_in_force_cannot_be_closed_without_clearing_them(alice, victim):
    case = _open(alice, victim)
    with pytest.raises(ValidationError, match="まだ有効です") as exc:
        request_case_closure(actor=alice, case=case, reason="転居先が安定")
    assert exc.value.code == "settings_in_force"


def test_closing_clears_each_flag_in_the_approved_step_and_keeps_history(alice, sam, victim):
    case = _open(alice, victim, no_auto_response_wanted=True)
    closure = request_case_closure(actor=alice, case=case, reason="本人から終了の申出", clear_settings=True)
    case.refresh_from_db()
    assert case.is_open and case.settings.filter(cleared_at__isnull=True).count() == 2, "a request closes nothing"
    decide_case_closure(actor=sam, closure=closure, approve=True, note="確認済")
    case.refresh_from_db()
    assert case.closed_at is not None and case.closed_by == sam and case.close_reason == "本人から終了の申出"
    assert case.settings.count() == 2 and not case.settings.filter(cleared_at__isnull=True).exists()
    for setting in case.settings.all():
        assert setting.cleared_by == sam and setting.clear_requested_by == alice
    assert selectors.active_settings(institution_id=victim.insurer_id, person_id=victim.person_id) == []
    assert AuditEntry.objects.filter(action="case.closed", target_id=str(case.pk)).exists()
    # A closed case can be followed by a new one.
    assert _open(alice, victim).pk != case.pk


def test_closure_needs_a_supervisor_other_than_the_requester(alice, sam, sue, victim):
    case = _open(alice, victim)
    closure = request_case_closure(actor=sam, case=case, reason="終了", clear_settings=True)
    with pytest.raises(PermissionDenied):
        decide_case_closure(actor=alice, closure=closure, approve=True)
    with pytest.raises(ValidationError, match="本人は承認できません"):
        decide_case_closure(actor=sam, closure=closure, approve=True)
    with pytest.raises(ValidationError, match="却下する場合は理由"):
        decide_case_closure(actor=sue, closure=closure, approve=False)
    decide_case_closure(actor=sue, closure=closure, approve=False, note="まだ危険がある")
    case.refresh_from_db()
    assert case.is_open and case.settings.filter(cleared_at__isnull=True).exists()


def test_closing_case_1_with_its_flags_needs_the_card_procedures_or_an_override(alice, sam, sue, victim):
    case = _open(alice, victim, case_card_or_proxy=True)
    with pytest.raises(ValidationError, match="カード停止等手続の完了が確認されていません"):
        request_case_closure(actor=alice, case=case, reason="終了", clear_settings=True)
    closure = request_case_closure(actor=sam, case=case, reason="終了", clear_settings=True,
                                   override_reason="カードは廃止済みと市から連絡")
    assert AuditEntry.objects.filter(action="case.close_override").exists()
    decide_case_closure(actor=sue, closure=closure, approve=True)
    case.refresh_from_db()
    assert not case.is_open


def test_a_case_whose_flags_were_cleared_before_closes_without_clearing(alice, sam, sue, victim):
    case = _open(alice, victim)
    req = request_clearing(actor=alice, setting=_whole(victim, SettingKind.NON_DISCLOSURE), reason="申出")
    with pytest.raises(ValidationError, match="承認待ちの解除依頼"):
        request_case_closure(actor=alice, case=case, reason="終了", clear_settings=True)
    decide_clearing(actor=sam, clearing_request=req, approve=True)
    closure = request_case_closure(actor=alice, case=case, reason="終了")
    decide_case_closure(actor=sue, closure=closure, approve=True)
    case.refresh_from_db()
    assert not case.is_open
    with pytest.raises(ValidationError, match="すでに終了"):
        request_case_closure(actor=alice, case=case, reason="再度")


# Point 6: review date, never silent expiry.


def test_a_new_case_is_reviewed_one_year_after_opening(alice, victim):
    case = _open(alice, victim)
    today = timezone.localdate()
    assert case.review_on == today.replace(year=today.year + 1)


def test_staff_set_the_review_date_and_it_is_audited(alice, victim):
    case = _open(alice, victim)
    new_day = timezone.localdate() + datetime.timedelta(days=90)
    set_review_date(actor=alice, case=case, review_on=new_day, reason="3か月後に状況確認")
    case.refresh_from_db()
    assert case.review_on == new_day
    entry = AuditEntry.objects.get(action="case.review_date_set")
    assert entry.after == {"review_on": str(new_day)} and entry.message == "3か月後に状況確認"
    with pytest.raises(ValidationError) as exc:
        set_review_date(actor=alice, case=case, review_on=timezone.localdate() - datetime.timedelta(days=1), reason="x")
    assert "review_on" in exc.value.message_dict


def test_a_case_past_its_review_date_is_listed_as_due_and_nothing_expires(alice, victim, insurer_a):
    case = _open(alice, victim)
    later = case.review_on + datetime.timedelta(days=400)
    due = cases_due_for_review(ProtectionCase.objects.visible_to(alice), on=later)
    assert list(due) == [case]
    assert not cases_due_for_review(ProtectionCase.objects.visible_to(alice), on=case.review_on - datetime.timedelta(days=1))
    case.refresh_from_db()
    assert case.is_open and _whole(victim, SettingKind.NON_DISCLOSURE).is_active


def test_protections_due_command_prints_each_insurer_and_exits_zero(alice, bob, victim, insurer_b):
    case_a = _open(alice, victim)
    member_b = f.MemberFactory(insurer=insurer_b, branch_number="B0000009")
    case_b = _open(bob, member_b)
    out = io.StringIO()
    on = case_a.review_on.isoformat()
    call_command("protections_due", "--date", on, stdout=out)  # raises SystemExit on a non-zero exit
    text = out.getvalue()
    assert "Ａ健康保険組合" in text and "Ｂ県後期高齢者医療広域連合" in text
    assert f"設定対象者ID {case_a.pk}" in text and f"設定対象者ID {case_b.pk}" in text and "B0000009" in text
    assert victim.name not in text, "the command names no protected person"
    out = io.StringIO()
    call_command("protections_due", "--date", (case_a.review_on - datetime.timedelta(days=1)).isoformat(), stdout=out)
    assert "見直し期日を迎えた設定対象者はありません" in out.getvalue()
