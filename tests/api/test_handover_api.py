"""引継ぎ over the API: A offers (warned to call B), B's 責任者 lists only what the offer names and confirms;
A cannot read B's handover list, B cannot read A's case."""

from django.utils import timezone

from flags.models import ProtectionCase
from flags.services import open_protection_case
from institutions.models import Role
from members.services import record_loss
from tests import factories as f
from tests.api.conftest import assert_error, client_for


def test_handover_offered_listed_and_confirmed_over_http(alice, sam, bob, victim, abuser, insurer_b):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, linked_persons=[abuser], reason="本人の申出")
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    at_b = f.MemberFactory(insurer=insurer_b, person=victim.person)
    b_super = client_for(f.StaffFactory(department=bob.department, role=Role.SUPERVISOR))

    offered = client_for(alice).post(f"/api/v1/cases/{case.pk}/handover/",
                                     {"to_institution": insurer_b.pk, "consent_on": str(timezone.localdate())},
                                     format="json")
    assert offered.status_code == 201 and "すぐに引継ぎ先へ連絡" in offered.json()["warning"]
    [seen] = b_super.get("/api/v1/handovers/").json()["results"]
    assert seen["person_sim_id"] == victim.person.sim_id and seen["linked_persons"] == [abuser.sim_id]
    assert set(seen) == {"id", "person_sim_id", "person_name", "kinds", "linked_persons", "review_on", "consent_on",
                         "state", "decline_reason", "new_case"}
    assert client_for(sam).get("/api/v1/handovers/").json()["results"] == []
    assert_error(b_super.get(f"/api/v1/cases/{case.pk}/"), 404, "not_found")
    assert_error(client_for(bob).post(f"/api/v1/handovers/{seen['id']}/confirm/", {"confirmed": True},
                                      format="json"), 403, "permission_denied")
    confirmed = b_super.post(f"/api/v1/handovers/{seen['id']}/confirm/", {"confirmed": True}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    assert ProtectionCase.objects.get(member=at_b).pk == confirmed.json()["new_case"]
    again = b_super.post(f"/api/v1/handovers/{seen['id']}/decline/", {"reason": "遅れて"}, format="json")
    assert_error(again, 409, "already_decided")
