"""引継ぎ (issue 11 point 3, issue 17 points 1–2): she leaves insurer A for insurer B (both on Nakama).

From the offer on, B protects her the instant she is (or becomes) B's member (引継ぎによる仮設定): no window in which
her portal, her abuser acting as her 代理人, or his own portal names B. Case ①/②, 申出の有無, the dated checklist
and the review date travel; B sees nothing else of A's. Confirmation makes the provisional case B's; a decline
never removes protection by itself.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.models import ExchangeRecord
from exchanges.services import InquiryRequest, send_inquiry
from flags.handover import (
    confirm_handover,
    decline_handover,
    handovers_received,
    offer_handover,
    pending_handover_persons,
)
from flags.models import Handover, ProtectionCase, Setting
from flags.services import decide_clearing, open_protection_case, request_clearing, update_case_checklist
from institutions.models import Role
from members.services import enrol_member, record_loss, register_replica
from portal_sim import services as portal
from tests import factories as f
from tests.portal.helpers import HISTORY, SELF_INFO, act_for, card_for, main_of, page, person_portal, signed_in

B_NAMES = ("Ｂ県後期高齢者医療広域連合", "資格保険料課")


@pytest.fixture
def b_super(bob):
    return f.StaffFactory(department=bob.department, role=Role.SUPERVISOR)


@pytest.fixture
def b_super2(bob):
    return f.StaffFactory(department=bob.department, role=Role.SUPERVISOR)


@pytest.fixture
def her_case(alice, victim, abuser):
    """Case ① at A without her own request (the need is evident), the abuser linked, card suspension advised."""
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=False, need_evident=True, case_card_or_proxy=True,
                                case_inquiry_about_abuser=True, linked_persons=[abuser], reason="明らかに必要")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    update_case_checklist(actor=alice, case=case, card_suspension_advised_on=yesterday,
                          proxy_cancel_advised_on=yesterday)
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    case.refresh_from_db()
    return case


def _offer(alice, case, insurer_b):
    return offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())


def _enrol_at_b(bob, victim):
    return enrol_member(actor=bob, person=victim.person, branch_number="B0000009", name=victim.name, kana=victim.kana,
                        birth_date=victim.birth_date, acquired_on=timezone.localdate())


def _b_asks(bob, procedures, items, city_ko, **who):
    return send_inquiry(actor=bob, request=InquiryRequest(
        procedure=procedures["koki_premium"], item=items["local_tax"], provider=city_ko, **who))


def test_no_window_b_enrols_her_after_the_offer_and_nobody_on_her_side_sees_b(
    her_case, alice, bob, victim, abuser, insurer_b, city_ko, procedures, items
):
    """The window of issue 17: B enrols her, registers its 副本 and asks about her and about the abuser before
    anyone at B confirmed. Her portal (card holder), the abuser as her 代理人 and his own portal name no B."""
    her_card = card_for(victim.person, "1111")
    portal.name_proxy(principal=victim.person, agent=abuser)
    handover = _offer(alice, her_case, insurer_b)

    at_b = _enrol_at_b(bob, victim)
    register_replica(actor=bob, member=at_b, item=items["medical_eligibility"], content={
        "保険者名称": insurer_b.name, "保険者番号": insurer_b.insurer_number, "資格取得日": str(at_b.acquired_on)})
    about_her = _b_asks(bob, procedures, items, city_ko, member=at_b)
    about_him = _b_asks(bob, procedures, items, city_ko, sim_id=abuser.sim_id)
    assert about_her.inquiry_code and about_him.inquiry_code  # coded by the system, before any confirmation
    handover.refresh_from_db()
    assert handover.is_pending and handover.new_case.member == at_b

    her = signed_in(her_card, "1111")
    him = person_portal(abuser, "2222")
    his_own = main_of(page(him, HISTORY))
    for leak in B_NAMES:
        assert leak not in his_own
    assert act_for(him, victim.person).status_code == 302
    for client in (her, him):  # she with her card; he acting as her 代理人
        for url in (SELF_INFO, HISTORY):
            shown = main_of(page(client, url))
            for leak in (*B_NAMES, insurer_b.insurer_number):
                assert leak not in shown, (url, leak)
    assert "回答なし" in main_of(page(her, SELF_INFO))
    # Provisional, by the system, in B's trail; the same writes as any setting and link.
    settings = Setting.objects.filter(member=at_b).active()
    assert {(s.kind, s.source, s.set_by_id) for s in settings} == {
        ("non_disclosure", "handover", None), ("no_self_info", "handover", None)}
    b_trail = AuditEntry.objects.filter(institution=insurer_b)
    assert b_trail.filter(action="handover.provisional", message="引継ぎによる仮設定").count() == 1
    assert b_trail.filter(action="setting.set", message="引継ぎによる仮設定").count() == 2
    assert b_trail.filter(action="case.person_linked").count() == 1
    assert pending_handover_persons(bob, [victim.person_id, abuser.pk, 999_999]) == {
        victim.person_id: "subject", abuser.pk: "linked"}
    assert pending_handover_persons(alice, [victim.person_id, abuser.pk]) == {}


def test_before_she_is_bs_member_bs_inquiries_about_her_or_the_offered_abuser_are_coded(
    her_case, alice, bob, b_super, victim, abuser, insurer_b, city_ko, procedures, items
):
    """The offer names B: from that moment, even before B enrols her, B's inquiries about her (by her identifier)
    and about the offered linked persons carry 不開示コード; after a decline, only a case at B would code them."""
    assert not _b_asks(bob, procedures, items, city_ko, sim_id=abuser.sim_id).inquiry_code  # control: no offer yet
    handover = _offer(alice, her_case, insurer_b)
    assert _b_asks(bob, procedures, items, city_ko, sim_id=victim.person.sim_id).inquiry_code
    about_him = _b_asks(bob, procedures, items, city_ko, sim_id=abuser.sim_id)
    assert about_him.inquiry_code and about_him.inquiry_code_source == "linked"
    assert not send_inquiry(actor=alice, request=InquiryRequest(  # A's own inquiries are A's matter (its own case)
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko,
        sim_id=f.PersonFactory().sim_id)).inquiry_code
    decline_handover(actor=b_super, handover=handover, reason="当組合に加入の予定がない")
    assert not _b_asks(bob, procedures, items, city_ko, sim_id=abuser.sim_id).inquiry_code


def test_she_is_already_bs_member_protected_from_the_offer(
    her_case, alice, bob, victim, abuser, insurer_b, city_ko, procedures, items
):
    at_b = f.MemberFactory(insurer=insurer_b, person=victim.person, branch_number="B0000009")
    assert not _b_asks(bob, procedures, items, city_ko, member=at_b).inquiry_code  # no offer yet: nothing at B
    _offer(alice, her_case, insurer_b)
    assert _b_asks(bob, procedures, items, city_ko, member=at_b).inquiry_code
    assert _b_asks(bob, procedures, items, city_ko, sim_id=abuser.sim_id).inquiry_code
    # A staff member of A made the offer, but B's trail names no one of A.
    assert not AuditEntry.objects.filter(institution=insurer_b, actor_name__contains="アリス").exists()


def test_confirmation_turns_the_provisional_case_into_bs_case(her_case, alice, bob, b_super, victim, abuser,
                                                              insurer_b):
    handover = _offer(alice, her_case, insurer_b)
    with pytest.raises(ValidationError, match="加入を登録すると"):
        confirm_handover(actor=b_super, handover=handover)  # not yet B's member: nothing to confirm it on
    at_b = _enrol_at_b(bob, victim)
    provisional = ProtectionCase.objects.get(member=at_b)
    with pytest.raises(PermissionDenied):
        confirm_handover(actor=bob, handover=handover)  # a 担当者: the 責任者 confirms
    case = confirm_handover(actor=b_super, handover=handover)
    assert case == provisional and case.is_open and case.institution == insurer_b
    assert [link.person for link in case.linked_persons.all()] == [abuser]
    assert Setting.objects.filter(member=at_b).active().count() == 2  # nothing set twice
    assert AuditEntry.objects.visible_to(alice).filter(action="handover.outcome").count() == 1
    with pytest.raises(ValidationError, match="すでに確認されています"):
        decline_handover(actor=b_super, handover=handover, reason="遅れて辞退")


def test_a_decline_keeps_the_protection_until_b_clears_it_with_four_eyes(
    her_case, alice, bob, b_super, b_super2, victim, insurer_b, city_ko, procedures, items
):
    handover = _offer(alice, her_case, insurer_b)
    at_b = _enrol_at_b(bob, victim)
    with pytest.raises(ValidationError):
        decline_handover(actor=b_super, handover=handover, reason="")
    declined = decline_handover(actor=b_super, handover=handover, reason="当組合では対応できない")
    assert declined.state == "declined"
    assert Setting.objects.filter(member=at_b).active().count() == 2  # never removed as a side effect
    assert _b_asks(bob, procedures, items, city_ko, member=at_b).inquiry_code
    assert AuditEntry.objects.visible_to(alice).get(action="handover.outcome").after["state"] == "辞退"
    # Only the normal clearing removes it: case ① waits for the card procedures, unless a 責任者 states why.
    setting = Setting.objects.filter(member=at_b, kind="non_disclosure").active().get()
    with pytest.raises(ValidationError, match="カード停止等手続"):
        request_clearing(actor=bob, setting=setting, reason="辞退したため")
    clearing = request_clearing(actor=b_super, setting=setting, reason="辞退したため", override_reason="本人と確認済")
    assert setting.__class__.objects.get(pk=setting.pk).is_active
    decide_clearing(actor=b_super2, clearing_request=clearing, approve=True)
    assert not Setting.objects.get(pk=setting.pk).is_active


def test_case_1_travels_and_b_cannot_clear_without_the_card_procedures(
    her_case, alice, bob, b_super, victim, insurer_b
):
    _offer(alice, her_case, insurer_b)
    _enrol_at_b(bob, victim)
    [handover] = handovers_received(b_super)
    case = confirm_handover(actor=b_super, handover=handover)
    carried = ("requested_by_person", "need_evident", "case_card_or_proxy", "case_inquiry_about_abuser",
               "card_suspension_advised_on", "card_suspension_confirmed_on", "proxy_cancel_advised_on",
               "proxy_cancel_confirmed_on", "review_on")
    assert {n: getattr(case, n) for n in carried} == {n: getattr(her_case, n) for n in carried}
    assert case.requested_by_person is False and case.case_card_or_proxy is True
    for setting in Setting.objects.filter(case=case).active():
        with pytest.raises(ValidationError, match="ケース①"):
            request_clearing(actor=bob, setting=setting, reason="不要になった")
    # Once B records the completion, the gate lets the request through (to the four-eyes approval).
    today = timezone.localdate()
    update_case_checklist(actor=bob, case=case, card_suspension_confirmed_on=today, proxy_cancel_confirmed_on=today)
    assert request_clearing(actor=bob, setting=Setting.objects.filter(case=case).active().first(), reason="完了")


def test_b_sees_nothing_else_of_as_case(her_case, alice, bob, b_super, victim, insurer_b, city_ko, procedures,
                                        items):
    a_record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
    ProtectionCase.objects.filter(pk=her_case.pk).update(notes="Aの経緯メモ")
    _offer(alice, her_case, insurer_b)
    at_b = _enrol_at_b(bob, victim)
    [b_case] = ProtectionCase.objects.visible_to(b_super)
    assert b_case.member == at_b and "Aの経緯メモ" not in b_case.notes
    assert a_record not in ExchangeRecord.objects.visible_to(b_super)
    b_trail = AuditEntry.objects.visible_to(b_super)
    assert not b_trail.filter(actor_name__in=[str(alice)]).exists()
    assert not any("アリス" in str(e.after) + e.message + e.actor_name for e in b_trail)
    assert list(handovers_received(alice)) == []


def test_no_offer_before_the_loss_or_to_a_non_tenant(alice, victim, insurer_b, city_ko):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    with pytest.raises(ValidationError, match="資格喪失が記録されていません"):
        offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())
    with pytest.raises(ValidationError) as refused:
        offer_handover(actor=alice, case=case, to_institution=city_ko,
                       consent_on=timezone.localdate() + datetime.timedelta(days=1))
    assert set(refused.value.message_dict) == {"to_institution", "consent_on"}


def test_the_demo_shows_a_pending_handover_at_b(items, procedures):
    """The demo: 中村 千代 moved from Ａ to Ｂ; Ｂ enrolled her, so she is protected there, waiting for b_super."""
    from demo.world import build_world

    world = build_world()
    her, at_b = world.persons["moved"], world.members["moved_at_b"]
    handover = Handover.objects.get(person=her)
    assert handover.is_pending and handover.new_case.member == at_b and handover.case_card_or_proxy
    assert Setting.objects.filter(member=at_b, source="handover").active().count() == 2
    assert pending_handover_persons(world.staff["b_clerk"], [her.pk]) == {her.pk: "subject"}


def test_bs_own_case_for_her_takes_on_case_1_so_the_gate_holds(her_case, alice, bob, victim, abuser, insurer_b):
    at_b = f.MemberFactory(insurer=insurer_b, person=victim.person, branch_number="B0000009")
    own = open_protection_case(actor=bob, member=at_b, victim_confirmed=True, fled_confirmed=True,
                               requested_by_person=True, wants_no_self_info=False, reason="Bで把握")
    _offer(alice, her_case, insurer_b)
    own.refresh_from_db()
    assert own.case_card_or_proxy and own.card_suspension_advised_on == her_case.card_suspension_advised_on
    assert [link.person for link in own.linked_persons.all()] == [abuser]
    assert set(Setting.objects.filter(member=at_b).active().values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
    with pytest.raises(ValidationError, match="ケース①"):
        request_clearing(actor=bob, setting=Setting.objects.get(member=at_b, kind="non_disclosure"), reason="不要")


def test_a_batch_at_b_codes_her_and_the_offered_abuser_as_single_inquiries_do(
    her_case, alice, bob, victim, abuser, insurer_b, city_ko, procedures, items
):
    """一括照会 (exchanges.batch) reads the pending handovers too: no window through the batch path."""
    from exchanges.batch import send_inquiries

    _offer(alice, her_case, insurer_b)
    stranger = f.PersonFactory()
    lines = [InquiryRequest(procedure=procedures["koki_premium"], item=items["local_tax"], provider=city_ko,
                            sim_id=p.sim_id) for p in (victim.person, abuser, stranger)]
    batch = send_inquiries(actor=bob, requests=lines)
    assert [line.record.inquiry_code for line in batch] == [True, True, False]
    assert [line.record.inquiry_code for line in batch] == [
        send_inquiry(actor=bob, request=line).inquiry_code for line in lines]


def test_card_suspension_not_applicable_travels_with_its_reason(her_case, alice, bob, b_super, victim, insurer_b):
    """「カード停止は対象外」 (only the proxy was the threat) is part of the checklist: B's gate does not ask B for a
    suspension A recorded as not applicable, and B sees why."""
    update_case_checklist(actor=alice, case=her_case, card_suspension_advised_on=None,
                          card_suspension_not_applicable=True,
                          card_suspension_not_applicable_reason="カードは本人が所持。代理人設定のみが問題")
    her_case.refresh_from_db()
    handover = _offer(alice, her_case, insurer_b)
    assert handover.card_suspension_not_applicable is True
    _enrol_at_b(bob, victim)
    case = confirm_handover(actor=b_super, handover=handover)
    assert case.card_suspension_not_applicable is True
    assert case.card_suspension_not_applicable_reason == "カードは本人が所持。代理人設定のみが問題"
    update_case_checklist(actor=bob, case=case, proxy_cancel_confirmed_on=timezone.localdate())
    assert request_clearing(actor=bob, setting=Setting.objects.filter(case=case).active().first(), reason="完了")
