"""Issue 17 point 5: 同伴者 — a child who fled with her is named on her case, gets the case's protections, and the
abuser, acting as the child's 代理人 in マイナポータル, learns nothing of the insurer; removal is four-eyes (it removes
protection); the sweep covers the child; the handover carries the child."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.services import receive_inquiry
from exchanges.sweep import COMPANION, exposure_sweep
from flags.case_lifecycle import decide_case_closure, request_case_closure
from flags.family import add_companion, decide_companion_removal, request_companion_removal
from flags.handover import confirm_handover, offer_handover
from flags.models import CaseCompanion, Setting
from flags.policy import SettingKind
from flags.services import open_protection_case, update_case_checklist
from institutions.models import Role
from members.services import record_loss
from portal_sim import services as portal
from tests import factories as f
from tests.portal.helpers import HISTORY, SELF_INFO, act_for, history_rows, main_of, page, person_portal

CASE_1_KINDS = {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}


@pytest.fixture(autouse=True)
def fast_pin_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def child(insurer_a, items):
    """佐藤 さくら: fled with her mother; her own 副本 at A names A."""
    person = f.PersonFactory(name="佐藤 さくら", kana="サトウ サクラ")
    member = f.MemberFactory(insurer=insurer_a, person=person, branch_number="A0000002")
    f.ReplicaFactory(member=member)
    return member


@pytest.fixture
def case_1(alice, victim, abuser):
    return open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])


def _kinds(member) -> set:
    return set(Setting.objects.active().filter(member=member, item__isnull=True).values_list("kind", flat=True))


def _peer_asks_about(person, *, city, provider, procedures, items):
    return receive_inquiry(inquirer=city, department=None, provider=provider, subject=person,
                           procedure=procedures["welfare"], item=items["medical_eligibility"])


def test_a_child_on_the_case_is_hidden_from_the_abuser_acting_as_the_childs_proxy(
    alice, case_1, child, abuser, city_otsu, procedures, items
):
    portal.name_proxy(principal=child.person, agent=abuser)
    him = person_portal(abuser, "2222")
    assert act_for(him, child.person).status_code == 302
    assert "Ａ健康保険組合" in main_of(page(him, SELF_INFO))  # without 同伴者 he reads her new insurer here

    add_companion(actor=alice, case=case_1, member=child, relation="子", reason="母と共に避難")
    _peer_asks_about(child.person, city=city_otsu, provider=child.insurer, procedures=procedures, items=items)

    self_info, history = main_of(page(him, SELF_INFO)), page(him, HISTORY)
    assert "代理人として 佐藤 さくら さんの情報を表示しています" in page(him, SELF_INFO)
    assert "Ａ健康保険組合" not in self_info and "回答なし" in self_info
    assert "Ａ健康保険組合" not in main_of(history) and history_rows(history) == []
    her_own = person_portal(child.person, "3333")  # the card holder sees the same: whoever holds it learns nothing
    assert "Ａ健康保険組合" not in main_of(page(her_own, SELF_INFO))


def test_the_child_gets_the_cases_protections_with_the_case_as_source_audited(alice, case_1, child):
    companion = add_companion(actor=alice, case=case_1, member=child, relation="子", reason="母と共に避難")
    assert _kinds(child) == CASE_1_KINDS
    assert set(Setting.objects.active().filter(member=child).values_list("case", flat=True)) == {case_1.pk}
    assert AuditEntry.objects.filter(action="case.companion_added", target_id=str(case_1.pk)).exists()
    assert companion.added_by_name == str(alice)


def test_companion_must_be_our_current_member_and_not_her_nor_a_linked_person(
    alice, bob, case_1, victim, insurer_b, items
):
    other = f.MemberFactory(insurer=insurer_b)
    for member, field in [(other, "member"), (victim, "member")]:
        with pytest.raises(ValidationError) as exc:
            add_companion(actor=alice, case=case_1, member=member, relation="子", reason="避難")
        assert field in exc.value.message_dict
    linked_member = f.MemberFactory(insurer=victim.insurer)
    case_1.linked_persons.create(institution=victim.insurer, person=linked_member.person, reason="加害者",
                                 added_at=case_1.opened_at)
    with pytest.raises(ValidationError, match="要注意照会対象者"):
        add_companion(actor=alice, case=case_1, member=linked_member, relation="その他", reason="避難")
    with pytest.raises((ValidationError, PermissionDenied)):
        add_companion(actor=bob, case=case_1, member=other, relation="子", reason="避難")
    assert not CaseCompanion.objects.exists()


def test_removing_a_companion_is_four_eyes_and_asks_the_card_gate(alice, sam, sue, case_1, child, abuser):
    companion = add_companion(actor=alice, case=case_1, member=child, relation="子", reason="避難")
    portal.name_proxy(principal=child.person, agent=abuser)
    with pytest.raises(ValidationError, match="代理人に設定されたまま"):
        request_companion_removal(actor=alice, companion=companion, reason="父の元へ戻った")
    portal.remove_proxy(principal=child.person, agent=abuser)
    update_case_checklist(actor=alice, case=case_1, card_suspension_not_applicable=True,
                          card_suspension_not_applicable_reason="代理人のみ", proxy_cancel_advised_on=case_1.opened_at.date(),
                          proxy_cancel_confirmed_on=case_1.opened_at.date())
    removal = request_companion_removal(actor=sam, companion=companion, reason="父の元へ戻った")
    assert _kinds(child) == CASE_1_KINDS  # still protected while the request waits
    with pytest.raises(ValidationError, match="依頼した本人"):
        decide_companion_removal(actor=sam, removal=removal, approve=True)
    with pytest.raises(PermissionDenied):
        decide_companion_removal(actor=alice, removal=removal, approve=True)
    decide_companion_removal(actor=sue, removal=removal, approve=True)
    companion.refresh_from_db()
    assert not companion.is_in_force and _kinds(child) == set()
    assert AuditEntry.objects.filter(action="case.companion_removed").exists()


def test_closing_the_case_clears_the_childs_protections_too(alice, sam, sue, case_1, child):
    add_companion(actor=alice, case=case_1, member=child, relation="子", reason="避難")
    closure = request_case_closure(actor=sam, case=case_1, reason="終了", clear_settings=True,
                                   override_reason="本人・子ともに転居先が確定、市と確認")
    decide_case_closure(actor=sue, closure=closure, approve=True)
    assert _kinds(child) == set()


def test_the_sweep_lists_the_childs_records_still_shown(alice, case_1, child, city_otsu, procedures, items):
    before = _peer_asks_about(child.person, city=city_otsu, provider=child.insurer, procedures=procedures,
                              items=items)
    add_companion(actor=alice, case=case_1, member=child, relation="子", reason="避難")
    lines = [line for line in exposure_sweep(user=alice, case=case_1) if line.about == COMPANION]
    assert [line.record.pk for line in lines] == [before.pk]
    assert "佐藤 さくら" in lines[0].who_can_see


def test_handover_carries_the_child_to_the_new_insurer(alice, bob, case_1, child, victim, insurer_b):
    b_super = f.StaffFactory(department=bob.department, role=Role.SUPERVISOR)  # a 責任者 before the offer (issue 18)
    add_companion(actor=alice, case=case_1, member=child, relation="子", reason="避難")
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    handover = offer_handover(actor=alice, case=case_1, to_institution=insurer_b, consent_on=timezone.localdate())
    f.MemberFactory(insurer=insurer_b, person=victim.person, branch_number="B0000009")
    child_at_b = f.MemberFactory(insurer=insurer_b, person=child.person, branch_number="B0000010")
    new_case = confirm_handover(actor=b_super, handover=handover)
    assert list(new_case.companions.in_force().values_list("member", flat=True)) == [child_at_b.pk]
    assert _kinds(child_at_b) == CASE_1_KINDS
