"""Who looked at her over the API (issue 17 point 6): the reason on inquiries about protected persons by staff who
are not 担当 (400 JSON without it), the case's access log and the weekly digest (auditors only, scoped, audited)."""

from types import SimpleNamespace

import pytest

from audit.models import AuditEntry
from flags.access_log import touched_persons, touches_protected
from flags.links import link_person
from flags.policy import SettingKind
from flags.services import open_protection_case, set_setting
from institutions.models import Role
from tests import factories as f
from tests.api.conftest import assert_error, client_for


@pytest.fixture
def case(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    link_person(actor=alice, case=case, person=abuser, reason="加害者")
    return case


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


def test_one_inquirys_access_check_answers_as_the_batchs_pre_read(case, alice, carol, bob, victim, abuser, insurer_a,
                                                                  insurer_b, city_ko):
    """The single POST asks touches_protected (one prepared statement, issue 20) and reads in full only a person it
    touches; the batch asks touched_persons. Both say the same of each person and caller: our members behind the
    glass (open case, or 不開示該当 / 自己情報提供不可 without a case) and the persons an open case of ours links —
    not a member with 自動応答不可 alone, not another insurer's case or link."""
    late = f.MemberFactory(insurer=insurer_a)
    set_setting(actor=alice, member=late, kind=SettingKind.NO_AUTO_RESPONSE, reason="副本の登録が遅れる")
    flagged = f.MemberFactory(insurer=insurer_a)
    set_setting(actor=alice, member=flagged, kind=SettingKind.NON_DISCLOSURE, reason="DVの申出")
    quiet = f.MemberFactory(insurer=insurer_a)
    b_victim, b_abuser = f.MemberFactory(insurer=insurer_b), f.PersonFactory()
    open_protection_case(actor=bob, member=b_victim, victim_confirmed=True, fled_confirmed=True,
                         requested_by_person=True, linked_persons=[b_abuser], reason="本人の申出")
    persons = {victim.person_id, abuser.pk, late.person_id, flagged.person_id, quiet.person_id,
               b_victim.person_id, b_abuser.pk}
    for user in (alice, carol, bob):
        assert {p for p in persons if touches_protected(user, p)} == touched_persons(user, persons)
    assert touched_persons(carol, persons) == {victim.person_id, abuser.pk, flagged.person_id}
    assert touched_persons(bob, persons) == {b_victim.person_id, b_abuser.pk}
    assert not touches_protected(SimpleNamespace(institution_id=None), victim.person_id)
    # Over HTTP: carol (not 担当) is asked for a reason about the flagged member, not about the others.
    api = client_for(carol)
    assert "access_reason" in assert_error(
        api.post("/api/v1/inquiries/", _inquiry(city_ko, member=flagged.branch_number), format="json"), 400)["fields"]
    for who in ({"member": late.branch_number}, {"member": quiet.branch_number}, {"sim_id": b_abuser.sim_id}):
        assert api.post("/api/v1/inquiries/", _inquiry(city_ko, **who), format="json").status_code == 201, who
    assert not AuditEntry.objects.filter(action="protected.viewed", actor=carol).exists()
