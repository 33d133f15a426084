"""flags.services: the one way to set and clear 不開示該当 / 自己情報提供不可 / 自動応答不可, and protection cases."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from flags import selectors
from flags.models import ClearingRequestState, Setting
from flags.policy import ActiveSetting, SettingKind
from flags.services import (
    decide_clearing,
    open_protection_case,
    request_clearing,
    set_setting,
    update_case_checklist,
)
from members.models import Member
from tests import factories as f


def test_set_whole_member_setting_records_who_when_why(alice, victim):
    setting = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
    assert setting.set_by == alice and setting.set_at is not None and setting.reason == "本人の申出"
    assert setting.item is None and setting.scope_label == "全体"
    entry = AuditEntry.objects.get(action="setting.set")
    assert entry.actor == alice and entry.institution == alice.institution and entry.message == "本人の申出"
    assert selectors.active_settings(institution_id=victim.insurer_id, person_id=victim.person_id) == [
        ActiveSetting(kind=SettingKind.NON_DISCLOSURE, item_code=None)
    ]


def test_item_level_setting(alice, victim, items):
    setting = set_setting(
        actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, item=items["medical_eligibility"], reason="申出"
    )
    assert setting.scope_label == "医療保険資格関係情報"
    assert selectors.active_settings(institution_id=victim.insurer_id, person_id=victim.person_id) == [
        ActiveSetting(kind=SettingKind.NO_SELF_INFO, item_code="medical_eligibility")
    ]


def test_setting_on_another_insurers_member_is_refused(bob, victim):
    with pytest.raises(ValidationError) as exc:
        set_setting(actor=bob, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="x")
    assert "他の保険者の被保険者" in exc.value.messages[0]
    assert not Setting.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_setting_without_reason_is_refused(alice, victim, reason):
    with pytest.raises(ValidationError) as exc:
        set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason=reason)
    assert exc.value.message_dict["reason"] == ["設定理由を入力してください。"]
    assert not Setting.objects.exists()


def test_duplicate_active_setting_is_refused(alice, victim):
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="申出")
    with pytest.raises(ValidationError, match="すでに設定されています"):
        set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="申出")


def test_auditor_cannot_set(audrey, victim):
    with pytest.raises(PermissionDenied):
        set_setting(actor=audrey, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="申出")


def test_clearing_needs_a_second_supervisor_and_keeps_history(alice, sam, sue, victim):
    setting = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="申出")
    req = request_clearing(actor=sam, setting=setting, reason="カード停止等手続の完了を確認")
    setting.refresh_from_db()
    assert setting.is_active, "a request alone does not clear"
    with pytest.raises(ValidationError, match="本人は承認できません"):
        decide_clearing(actor=sam, clearing_request=req, approve=True)
    with pytest.raises(PermissionDenied):
        decide_clearing(actor=alice, clearing_request=req, approve=True)
    decide_clearing(actor=sue, clearing_request=req, approve=True)
    setting.refresh_from_db()
    # 解除者 is the approver; the requester is kept beside it (issue 10 point 4).
    assert not setting.is_active and setting.cleared_by == sue and setting.cleared_by_name == str(sue)
    assert setting.clear_requested_by == sam and setting.clear_reason == "カード停止等手続の完了を確認"
    assert Setting.objects.filter(pk=setting.pk).exists(), "a cleared setting is kept as history"
    assert selectors.active_settings(institution_id=victim.insurer_id, person_id=victim.person_id) == []
    req.refresh_from_db()
    assert req.state == ClearingRequestState.APPROVED and req.decided_by == sue
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "setting.set", "setting.clear_requested", "setting.cleared",
    ]
    # The same setting can be set again afterwards; both rows remain.
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="再度の申出")
    assert Setting.objects.filter(member=victim).count() == 2


def test_clearing_without_reason_is_refused(alice, victim):
    setting = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="申出")
    with pytest.raises(ValidationError):
        request_clearing(actor=alice, setting=setting, reason="")


def test_case_1_sets_non_disclosure_and_no_self_info_on_the_whole_member(alice, victim, abuser):
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, wants_non_disclosure=False, linked_persons=[abuser], no_auto_response_wanted=True,
    )
    kinds = set(Setting.objects.active().filter(member=victim, item__isnull=True).values_list("kind", flat=True))
    assert kinds == {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO, SettingKind.NO_AUTO_RESPONSE}
    assert set(case.settings.values_list("kind", flat=True)) == kinds
    assert [link.person for link in case.linked_persons.all()] == [abuser]


def test_case_without_a_and_i_confirmed_is_refused(alice, victim):
    with pytest.raises(ValidationError) as exc:
        open_protection_case(
            actor=alice, member=victim, victim_confirmed=False, fled_confirmed=False, requested_by_person=True,
            case_card_or_proxy=True,
        )
    assert set(exc.value.message_dict) == {"victim_confirmed", "fled_confirmed"}
    assert not Setting.objects.exists()


def test_case_without_request_needs_evident_need(alice, victim):
    with pytest.raises(ValidationError) as exc:
        open_protection_case(
            actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=False,
            case_inquiry_about_abuser=True,
        )
    assert "requested_by_person" in exc.value.message_dict
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=False,
        need_evident=True, case_inquiry_about_abuser=True,
    )
    assert case.settings.filter(kind=SettingKind.NON_DISCLOSURE).exists()


def test_case_abuser_may_be_our_member_in_kyokai_kenpo(alice, victim, insurer_a):
    """In 協会けんぽ both spouses are often members of the same insurer: he can still be linked."""
    other = f.MemberFactory(insurer=insurer_a)
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_inquiry_about_abuser=True, linked_persons=[other.person],
    )
    assert [link.person for link in case.linked_persons.all()] == [other.person]


def test_case_cannot_link_the_protected_person_herself(alice, victim):
    with pytest.raises(ValidationError) as exc:
        open_protection_case(
            actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
            case_inquiry_about_abuser=True, linked_persons=[victim.person],
        )
    assert "linked_persons" in exc.value.message_dict
    assert not Setting.objects.exists()


def test_case_checklist_is_audited(alice, victim):
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True,
    )
    update_case_checklist(actor=alice, case=case, card_suspension_advised_on=datetime.date(2026, 4, 3))
    entry = AuditEntry.objects.get(action="case.checklist_updated")
    assert entry.before["card_suspension_advised_on"] is None
    assert entry.after["card_suspension_advised_on"] == "2026-04-03"


def test_case_of_another_insurer_is_refused(bob, alice, victim):
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True,
    )
    with pytest.raises(ValidationError):
        update_case_checklist(actor=bob, case=case, card_suspension_advised_on=datetime.date(2026, 4, 3))


def test_duplicate_branch_number_in_one_insurer_is_refused_in_japanese(victim):
    dup = Member(
        insurer=victim.insurer, branch_number=victim.branch_number, person=f.PersonFactory(), name="x", kana="エックス",
        birth_date=victim.birth_date, acquired_on=victim.acquired_on,
    )
    with pytest.raises(ValidationError) as exc:
        dup.full_clean()
    assert "同じ被保険者枝番" in " ".join(exc.value.messages)


def test_same_branch_number_in_another_insurer_is_fine(victim, insurer_b):
    f.MemberFactory(insurer=insurer_b, branch_number=victim.branch_number).full_clean()
