"""引継ぎ over the API (issue 11, issue 17 points 1, 2 and 7): A offers; B's 加入 over the API (and the simulation's
加入) applies the offered protection at once (引継ぎによる仮設定); B's 責任者 lists what the offer names — case ①/②,
申出の有無, the dated checklist, the review date — and confirms. Scoped: A cannot read B's handovers, B not A's case."""

import datetime

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from flags.models import ProtectionCase, Setting
from flags.services import open_protection_case, update_case_checklist
from institutions.models import Role
from members.models import Member
from members.services import record_loss
from tests import factories as f
from tests.api.conftest import assert_error, client_for

CARRIED = {"requested_by_person", "need_evident", "request_date", "case_card_or_proxy", "case_inquiry_about_abuser",
           "card_suspension_advised_on", "card_suspension_confirmed_on", "card_suspension_not_applicable",
           "card_suspension_not_applicable_reason", "proxy_cancel_advised_on",
           "proxy_cancel_confirmed_on", "number_change_advised_on", "number_change_confirmed_on"}


@pytest.fixture
def offered_case(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=False, need_evident=True, case_card_or_proxy=True,
                                linked_persons=[abuser], reason="明らかに必要")
    update_case_checklist(actor=alice, case=case, card_suspension_advised_on=timezone.localdate())
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    return case


def _offer(alice, case, insurer_b):
    return client_for(alice).post(f"/api/v1/cases/{case.pk}/handover/",
                                  {"to_institution": insurer_b.pk, "consent_on": str(timezone.localdate())},
                                  format="json")


def test_handover_offered_enrolled_listed_and_confirmed_over_http(offered_case, alice, sam, bob, victim, abuser,
                                                                  insurer_b):
    b_super = client_for(f.StaffFactory(department=bob.department, role=Role.SUPERVISOR))
    offered = _offer(alice, offered_case, insurer_b)
    assert offered.status_code == 201 and "すぐに引継ぎ先へ連絡" in offered.json()["warning"]
    [seen] = b_super.get("/api/v1/handovers/").json()["results"]
    assert seen["new_case"] is None  # not B's member yet

    enrolled = client_for(bob).post("/api/v1/members/enrol/", {
        "sim_id": victim.person.sim_id, "branch_number": "B0000009", "acquired_on": str(timezone.localdate())},
        format="json")
    assert enrolled.status_code == 201
    at_b = Member.objects.get(insurer=insurer_b, branch_number="B0000009")
    assert set(Setting.objects.filter(member=at_b).active().values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}

    [seen] = b_super.get("/api/v1/handovers/").json()["results"]
    assert seen["person_sim_id"] == victim.person.sim_id and seen["linked_persons"] == [abuser.sim_id]
    assert set(seen) == {"id", "person_sim_id", "person_name", "kinds", "linked_persons", "review_on", "consent_on",
                         "state", "decline_reason", "new_case"} | CARRIED
    assert seen["case_card_or_proxy"] is True and seen["requested_by_person"] is False and seen["need_evident"]
    assert seen["card_suspension_advised_on"] == str(timezone.localdate())
    assert seen["state"] == "pending" and seen["new_case"] == ProtectionCase.objects.get(member=at_b).pk
    # B reads its provisional case; A's case stays A's, and A reads nothing of B's handovers.
    assert b_super.get(f"/api/v1/cases/{seen['new_case']}/").status_code == 200
    assert_error(b_super.get(f"/api/v1/cases/{offered_case.pk}/"), 404, "not_found")
    assert_error(client_for(alice).get(f"/api/v1/cases/{seen['new_case']}/"), 404, "not_found")
    assert client_for(sam).get("/api/v1/handovers/").json()["results"] == []
    assert_error(client_for(sam).post(f"/api/v1/handovers/{seen['id']}/confirm/", {"confirmed": True},
                                      format="json"), 404, "not_found")
    assert_error(client_for(bob).post(f"/api/v1/handovers/{seen['id']}/confirm/", {"confirmed": True},
                                      format="json"), 403, "permission_denied")
    confirmed = b_super.post(f"/api/v1/handovers/{seen['id']}/confirm/", {"confirmed": True}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["new_case"] == seen["new_case"]
    again = b_super.post(f"/api/v1/handovers/{seen['id']}/decline/", {"reason": "遅れて"}, format="json")
    assert_error(again, 409, "already_decided")


def test_the_simulations_enrolment_applies_the_handover_too(offered_case, alice, victim, insurer_b, sim_on):
    from rest_framework.test import APIClient

    assert _offer(alice, offered_case, insurer_b).status_code == 201
    victim.person.birth_date = datetime.date(1980, 1, 1)
    victim.person.save()
    response = APIClient().post(f"/api/sim/persons/{victim.person.sim_id}/enrolments/", {
        "insurer": insurer_b.pk, "branch_number": "B0000010", "acquired_on": str(timezone.localdate())},
        format="json", **sim_on)
    assert response.status_code == 201, response.content
    at_b = Member.objects.get(insurer=insurer_b, branch_number="B0000010")
    assert Setting.objects.filter(member=at_b, source="handover").active().count() == 2


def test_the_schema_carries_the_handover_fields():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    handover = schema["components"]["schemas"]["HandoverOut"]["properties"]
    assert set(handover) >= CARRIED
