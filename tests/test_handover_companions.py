"""Issue 17 points 1 and 5 together: a child who fled with her (同伴者) has no window at the new insurer either.

From the offer on, the child is protected at B the instant the child is (or becomes) B's member — before her, after
her, or after B's 責任者 confirmed — by the system (引継ぎによる仮設定), and joins her provisional case once it exists;
B's inquiries about the child while the handover is pending are coded; B's screens say 引継ぎ確認待ち.
"""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.services import InquiryRequest, send_inquiry
from flags.family import add_companion
from flags.handover import confirm_handover, offer_handover, pending_handover_persons
from flags.models import Handover, Setting
from flags.policy import SettingKind
from flags.services import open_protection_case
from institutions.models import Role
from members.services import enrol_member, record_loss, register_replica
from portal_sim import services as portal
from tests import factories as f
from tests.portal.helpers import HISTORY, SELF_INFO, act_for, main_of, page, person_portal

CASE_1_KINDS = {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}
B_NAMES = ("Ｂ県後期高齢者医療広域連合", "資格保険料課")


@pytest.fixture(autouse=True)
def fast_pin_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def b_super(bob):
    return f.StaffFactory(department=bob.department, role=Role.SUPERVISOR)  # a 責任者 before the offer (issue 18)


@pytest.fixture
def child(insurer_a):
    person = f.PersonFactory(name="佐藤 さくら", kana="サトウ サクラ")
    return f.MemberFactory(insurer=insurer_a, person=person, branch_number="A0000002")


@pytest.fixture
def offered(alice, victim, abuser, child, insurer_b, b_super):
    """Case ① at A naming the abuser and the child; both leave A; A offers the handover to B."""
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])
    add_companion(actor=alice, case=case, member=child, relation="子", reason="母と共に避難")
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    return offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())


def _enrol(bob, member, branch_number):
    return enrol_member(actor=bob, person=member.person, branch_number=branch_number, name=member.name,
                        kana=member.kana, birth_date=member.birth_date, acquired_on=timezone.localdate())


def _kinds(member) -> set:
    return set(Setting.objects.active().filter(member=member, item__isnull=True).values_list("kind", flat=True))


def _b_asks(bob, procedures, items, city_ko, **who):
    return send_inquiry(actor=bob, request=InquiryRequest(
        procedure=procedures["koki_premium"], item=items["local_tax"], provider=city_ko, **who))


def test_the_child_enrolled_at_b_before_her_is_hidden_from_the_abuser_acting_as_the_childs_proxy(
    offered, bob, child, victim, abuser, insurer_b, city_ko, procedures, items
):
    """The window for the child: B enrols the child first, registers the child's 副本 and asks about the child, before
    she is B's member and before anyone at B confirmed. The abuser, as the child's 代理人, reads no B."""
    portal.name_proxy(principal=child.person, agent=abuser)
    child_at_b = _enrol(bob, child, "B0000010")
    register_replica(actor=bob, member=child_at_b, item=items["medical_eligibility"], content={
        "保険者名称": insurer_b.name, "保険者番号": insurer_b.insurer_number, "資格取得日": str(child_at_b.acquired_on)})
    about_child = _b_asks(bob, procedures, items, city_ko, member=child_at_b)
    assert about_child.inquiry_code

    him = person_portal(abuser, "2222")
    assert act_for(him, child.person).status_code == 302
    for url in (SELF_INFO, HISTORY):
        shown = main_of(page(him, url))
        for leak in (*B_NAMES, insurer_b.insurer_number):
            assert leak not in shown, (url, leak)
    # Provisional, by the system, in B's trail; no case at B yet (she is not B's member).
    settings = Setting.objects.active().filter(member=child_at_b)
    assert {(s.kind, s.source, s.set_by_id, s.case_id) for s in settings} == {
        ("non_disclosure", "handover", None, None), ("no_self_info", "handover", None, None)}
    assert AuditEntry.objects.filter(institution=insurer_b, action="setting.set",
                                     message="引継ぎによる仮設定（同伴者: 子）").count() == 2
    assert pending_handover_persons(bob, [child.person_id]) == {child.person_id: "companion"}

    # She enrols: her provisional case opens and the child joins it; confirmation carries no duplicate.
    her_at_b = _enrol(bob, victim, "B0000009")
    offered.refresh_from_db()
    assert list(offered.new_case.companions.in_force().values_list("member", flat=True)) == [child_at_b.pk]
    assert offered.new_case.member == her_at_b
    assert _kinds(child_at_b) == CASE_1_KINDS


def test_the_child_enrolled_after_her_joins_her_provisional_case_at_once(offered, bob, child, victim, insurer_b):
    her_at_b = _enrol(bob, victim, "B0000009")
    child_at_b = _enrol(bob, child, "B0000010")
    offered.refresh_from_db()
    case = offered.new_case
    assert case.member == her_at_b and offered.is_pending
    companion = case.companions.in_force().get()
    assert (companion.member, companion.relation, companion.added_by_id) == (child_at_b, "子", None)
    assert set(Setting.objects.active().filter(member=child_at_b).values_list("case", "source")) == {
        (case.pk, "handover")}
    assert AuditEntry.objects.filter(institution=insurer_b, action="case.companion_added",
                                     target_id=str(case.pk)).count() == 1


def test_a_child_already_bs_member_is_protected_from_the_offer(
    alice, victim, abuser, child, insurer_b, b_super, bob, city_ko, procedures, items
):
    child_at_b = f.MemberFactory(insurer=insurer_b, person=child.person, branch_number="B0000010")
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])
    add_companion(actor=alice, case=case, member=child, relation="子", reason="母と共に避難")
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    assert not _b_asks(bob, procedures, items, city_ko, member=child_at_b).inquiry_code  # control: no offer yet
    assert _kinds(child_at_b) == set()

    offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())
    assert _kinds(child_at_b) == CASE_1_KINDS
    assert _b_asks(bob, procedures, items, city_ko, member=child_at_b).inquiry_code


def test_bs_inquiry_about_the_child_is_coded_before_b_enrols_anyone(
    offered, bob, child, city_ko, procedures, items
):
    about_child = _b_asks(bob, procedures, items, city_ko, sim_id=child.person.sim_id)
    assert about_child.inquiry_code


def test_the_child_enrolled_after_the_confirmation_joins_bs_case(offered, bob, b_super, child, victim):
    _enrol(bob, victim, "B0000009")
    case = confirm_handover(actor=b_super, handover=offered)
    assert not case.companions.in_force().exists()
    assert AuditEntry.objects.filter(action="handover.companions_not_members", target_id=str(case.pk)).exists()

    child_at_b = _enrol(bob, child, "B0000010")
    assert list(case.companions.in_force().values_list("member", flat=True)) == [child_at_b.pk]
    assert _kinds(child_at_b) == CASE_1_KINDS


def test_a_declined_handover_protects_no_later_enrolment_of_the_child(offered, bob, b_super, child):
    from flags.handover import decline_handover

    decline_handover(actor=b_super, handover=offered, reason="加入の予定がない")
    child_at_b = _enrol(bob, child, "B0000010")
    assert _kinds(child_at_b) == set()
    assert Handover.objects.get(pk=offered.pk).state == "declined"


def test_bs_pages_say_handover_pending_for_the_child(offered, bob, child):
    request = RequestFactory().get("/")
    request.user = bob
    html = Template("{% load handover_tags %}{% handover_pending_notice person_id %}").render(
        Context({"request": request, "person_id": child.person_id}))
    assert "引継ぎ確認待ち" in html and "同伴者" in html


def test_the_childs_provisional_protection_waits_for_the_carried_card_procedures(
    offered, bob, child, client
):
    """Before she is B's member the child's protection has no case at B: the pending handover's case ① governs
    it, so clearing waits for the carried checklist and Nakama's facts, as on her case (別紙2 §3 ①)."""
    from django.core.exceptions import ValidationError
    from django.urls import reverse

    from flags.services import request_clearing

    child_at_b = _enrol(bob, child, "B0000010")
    setting = Setting.objects.active().get(member=child_at_b, kind="non_disclosure")
    with pytest.raises(ValidationError) as refused:
        request_clearing(actor=bob, setting=setting, reason="転居のため")
    assert refused.value.code == "card_procedures_incomplete"

    client.force_login(bob)
    page = client.get(reverse("console:setting_request_clearing", args=[setting.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="card-procedures-handover"' in html and "未確認" in html
