"""The API's case list and detail (issue 17 point 6): a protected person is masked (`masked: true`, no 枝番, no
同伴者, no free text) for staff who are not 担当 until they give a reason (POST /cases/{id}/access-reason/), kept
for the life of their token; scoped to the insurer; and a page costs the same number of statements for 2 cases as
for 20."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from flags.access_log import add_case_staff
from flags.cases import open_protection_case
from flags.family import add_companion
from tests import factories as f
from tests.api.conftest import assert_error, client_for


@pytest.fixture
def case(alice, victim, insurer_a):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出", notes="転居先は甲市の親族宅")
    add_companion(actor=alice, case=case, member=f.MemberFactory(insurer=insurer_a), relation="子", reason="同伴")
    return case


def _row(client, case) -> dict:
    rows = client.get("/api/v1/cases/").json()["results"]
    return next(r for r in rows if r["id"] == case.pk)


def test_the_registering_clerk_sees_her_branch_number(case, alice):
    row = _row(client_for(alice), case)
    assert row["masked"] is False and row["member"] == "A0000001" and len(row["companions"]) == 1
    assert row["notes"] == "転居先は甲市の親族宅"


def test_a_colleague_sees_her_masked_until_he_gives_a_reason(case, carol):
    api = client_for(carol)
    for row in (_row(api, case), api.get(f"/api/v1/cases/{case.pk}/").json()):
        assert row["masked"] is True and row["member"] is None and row["companions"] == [] and row["notes"] == ""
        assert row["id"] == case.pk and row["is_open"] is True  # the case number and its state stay
    assert not AuditEntry.objects.filter(action="protected.viewed", actor=carol).exists()  # nothing of her shown

    assert_error(api.post(f"/api/v1/cases/{case.pk}/access-reason/", {"access_reason": " "}, format="json"), 400)
    shown = api.post(f"/api/v1/cases/{case.pk}/access-reason/", {"access_reason": "本人からの給付の問合せ"},
                     format="json")
    assert shown.status_code == 200 and shown.json()["member"] == "A0000001"
    reason = AuditEntry.objects.get(action="protected.viewed", actor=carol, after__in_charge=False)
    assert reason.after["reason"] == "本人からの給付の問合せ" and reason.target_id == str(case.member_id)
    assert _row(api, case)["member"] == "A0000001"
    # A new token is a new sign-in: the reason is asked again, as the console asks after sign-out.
    assert _row(client_for(carol), case)["masked"] is True


def test_a_supervisor_not_in_charge_is_masked_and_one_named_in_charge_is_not(case, sam, carol):
    assert _row(client_for(sam), case)["masked"] is True
    add_case_staff(actor=sam, case=case, staff=carol)
    assert _row(client_for(carol), case)["member"] == "A0000001"


def test_another_insurer_sees_nothing(case, bob):
    api = client_for(bob)
    assert api.get("/api/v1/cases/").json()["results"] == []
    assert_error(api.get(f"/api/v1/cases/{case.pk}/"), 404, "not_found")
    assert_error(api.post(f"/api/v1/cases/{case.pk}/access-reason/", {"access_reason": "確認"}, format="json"), 404)


def _open_cases(actor, insurer, n: int) -> None:
    """n case ① victims, each with a linked abuser and a child who fled with her."""
    for _ in range(n):
        member = f.MemberFactory(insurer=insurer)
        case = open_protection_case(actor=actor, member=member, victim_confirmed=True, fled_confirmed=True,
                                    requested_by_person=True, case_card_or_proxy=True, reason="本人の申出",
                                    linked_persons=[f.PersonFactory()])
        add_companion(actor=actor, case=case, member=f.MemberFactory(insurer=insurer), relation="子", reason="同伴")


def _statements(client) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    return len(queries), response.json()["results"]


@pytest.mark.parametrize("reader", ["alice", "carol"])  # 担当 (all shown and audited) and a colleague (all masked)
def test_the_case_list_costs_the_same_for_2_and_20_cases(reader, alice, carol, insurer_a, items):
    api = client_for({"alice": alice, "carol": carol}[reader])
    _open_cases(alice, insurer_a, 2)
    two, rows = _statements(api)
    _open_cases(alice, insurer_a, 18)
    twenty, more = _statements(api)
    assert (len(rows), len(more)) == (2, 20)
    assert all(r["masked"] is (reader == "carol") for r in more)
    assert two == twenty, (two, twenty)
