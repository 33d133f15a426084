"""Who looked at her over the API (issue 17 point 6): the reason on inquiries about protected persons by staff who
are not 担当 (400 JSON without it), the case's access log and the weekly digest (auditors only, scoped, audited)."""

import pytest

from audit.models import AuditEntry
from flags.links import link_person
from flags.services import open_protection_case
from institutions.models import Role
from tests import factories as f
from tests.api.conftest import assert_error, client_for


@pytest.fixture
def case(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    link_person(actor=alice, case=case, person=abuser, reason="加害者")
    return case


@pytest.fixture
def carol(dept_a):
    return f.StaffFactory(username="carol", display_name="キャロル 担当", department=dept_a, role=Role.CLERK)


def _inquiry(city, **who):
    return {"procedure": "kenpo_benefit", "item": "local_tax", "provider": city.pk, **who}


def test_an_inquiry_about_the_linked_abuser_by_a_colleague_needs_a_reason(case, alice, carol, abuser, city_ko):
    api = client_for(carol)
    refused = api.post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id), format="json")
    body = assert_error(refused, 400)
    assert "access_reason" in body["fields"]
    assert not AuditEntry.objects.filter(action="inquiry.sent", actor=carol).exists()
    sent = api.post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id, access_reason="住民税額の確認"),
                    format="json")
    assert sent.status_code == 201 and sent.json()["inquiry_code"] is True
    entry = AuditEntry.objects.get(action="protected.viewed", actor=carol)
    assert entry.target_id == str(case.member_id) and entry.after["reason"] == "住民税額の確認"
    # alice is 担当: no reason asked.
    assert client_for(alice).post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id),
                                  format="json").status_code == 201


def test_the_access_log_and_digest_are_for_our_auditors_only(case, carol, audrey, abuser, city_ko, dept_b):
    client_for(carol).post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id, access_reason="税額の確認"),
                           format="json")
    log = client_for(audrey).get(f"/api/v1/cases/{case.pk}/access-log/")
    assert log.status_code == 200
    [row] = log.json()["results"]
    assert row["staff"] == "キャロル 担当" and row["reason"] == "税額の確認" and row["in_charge"] is False
    digest = client_for(audrey).get("/api/v1/access-digest/").json()
    assert digest["outside_count"] == 1 and digest["results"][0]["reasons"] == ["税額の確認"]
    assert AuditEntry.objects.filter(action="audit.access_digest_viewed", actor=audrey).exists()
    assert AuditEntry.objects.filter(action="audit.access_log_viewed", actor=audrey).exists()
    assert_error(client_for(audrey).get("/api/v1/access-digest/?week=きのう"), 400)
    assert client_for(carol).get("/api/v1/access-digest/").status_code == 403
    other = f.StaffFactory(username="b_audit2", department=dept_b, role=Role.AUDITOR)
    assert client_for(other).get(f"/api/v1/cases/{case.pk}/access-log/").status_code == 404
    assert client_for(other).get("/api/v1/access-digest/").json()["results"] == []
