"""A case's 担当 over the API (issue 17 point 6): listed, added and removed by a 責任者 only, through the same
services as the console (audited as case.staff_added / case.staff_removed); clerks 403, another insurer's case 404,
another insurer's or an inactive staff member 400 staff_unknown."""

import pytest

from audit.models import AuditEntry
from flags.cases import open_protection_case
from institutions.models import Role
from tests import factories as f
from tests.api.conftest import assert_error, client_for


@pytest.fixture
def case(alice, victim):
    return open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")


def _staff_url(case, op: str = "") -> str:
    return f"/api/v1/cases/{case.pk}/staff/{op}"


def _usernames(response) -> list[str]:
    return [row["username"] for row in response.json()["results"]]


def test_a_supervisor_lists_adds_and_removes_in_charge_staff_audited(case, alice, carol, sam):
    api = client_for(sam)
    listed = api.get(_staff_url(case))
    assert listed.status_code == 200 and listed.json()["results"][0]["by_default"] is True
    assert _usernames(listed) == ["alice"]
    added = api.post(_staff_url(case, "add/"), {"username": "carol"}, format="json")
    assert added.status_code == 201 and _usernames(added) == ["alice", "carol"]
    removed = api.post(_staff_url(case, "remove/"), {"username": "alice"}, format="json")
    assert removed.status_code == 200 and _usernames(removed) == ["carol"]
    entries = AuditEntry.objects.filter(action__startswith="case.staff_").order_by("id")
    assert [(e.action, e.actor, e.target_id) for e in entries] == [
        ("case.staff_added", sam, str(case.pk)), ("case.staff_removed", sam, str(case.pk))]
    assert entries[0].after == {"staff": carol.pk, "name": "キャロル 担当"}
    # The change is the one the break-the-glass rule reads: carol now sees her, alice is masked.
    assert client_for(carol).get(f"/api/v1/cases/{case.pk}/").json()["member"] == "A0000001"
    assert client_for(alice).get(f"/api/v1/cases/{case.pk}/").json()["masked"] is True


def test_clerks_and_auditors_are_refused_with_403(case, alice, audrey):
    for staff in (alice, audrey):
        api = client_for(staff)
        assert_error(api.get(_staff_url(case)), 403, "permission_denied")
        assert_error(api.post(_staff_url(case, "add/"), {"username": "sam"}, format="json"), 403, "permission_denied")
        assert_error(api.post(_staff_url(case, "remove/"), {"username": "alice"}, format="json"), 403,
                     "permission_denied")
    assert not AuditEntry.objects.filter(action__startswith="case.staff_").exists()


def test_another_insurers_case_is_404(case, dept_b):
    outsider = client_for(f.StaffFactory(department=dept_b, role=Role.SUPERVISOR))
    assert_error(outsider.get(_staff_url(case)), 404, "not_found")
    assert_error(outsider.post(_staff_url(case, "add/"), {"username": "alice"}, format="json"), 404, "not_found")
    assert_error(outsider.post(_staff_url(case, "remove/"), {"username": "alice"}, format="json"), 404, "not_found")


def test_another_insurers_or_an_inactive_staff_member_cannot_be_added(case, sam, bob, dept_a):
    api = client_for(sam)
    gone = f.StaffFactory(username="gone", department=dept_a, role=Role.CLERK, is_active=False)
    for username in (bob.username, gone.username, "nobody"):
        body = assert_error(api.post(_staff_url(case, "add/"), {"username": username}, format="json"), 400,
                            "staff_unknown")
        assert body["fields"]["username"]
    assert_error(api.post(_staff_url(case, "add/"), {"username": "alice"}, format="json"), 400, "already_in_charge")
    assert_error(api.post(_staff_url(case, "remove/"), {"username": "sam"}, format="json"), 400, "not_in_charge")
    assert_error(api.post(_staff_url(case, "add/"), {}, format="json"), 400, "invalid")
    assert _usernames(api.get(_staff_url(case))) == ["alice"]
    assert not AuditEntry.objects.filter(action__startswith="case.staff_").exists()


def test_the_schema_documents_the_in_charge_endpoints(anon):
    paths = anon.get("/api/schema/?format=json").json()["paths"]
    assert set(paths["/api/v1/cases/{id}/staff/"]) == {"get"}
    assert set(paths["/api/v1/cases/{id}/staff/add/"]) == {"post"}
    assert set(paths["/api/v1/cases/{id}/staff/remove/"]) == {"post"}
    assert set(paths["/api/v1/cases/{id}/access-reason/"]) == {"post"}
