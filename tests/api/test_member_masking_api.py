"""The API's member search and detail (issue 17 point 6, as the console's name search): a protected person is shown
masked (`masked: true`, 「保護対象者」, no name, kana, birth date, 個人識別子, settings or 副本) to staff who are not 担当
of her case until they give a reason (POST /members/{branch_number}/access-reason/), kept for the life of their
token; 担当 see her at once; another insurer finds nothing."""

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


def _search(client, victim) -> list[dict]:
    return client.get("/api/v1/members/", {"kana": victim.kana[:3]}).json()["results"]


def test_the_registering_clerk_finds_her_by_name(case, alice, victim):
    row = next(r for r in _search(client_for(alice), victim) if r["branch_number"] == victim.branch_number)
    assert row["masked"] is False and row["name"] == victim.name and row["sim_id"] == victim.person.sim_id
    assert AuditEntry.objects.filter(action="protected.viewed", actor=alice, target_id=str(victim.pk)).exists()


def test_a_colleague_finds_her_masked_until_he_gives_a_reason(case, carol, victim, insurer_a):
    other = f.MemberFactory(insurer=insurer_a, kana=victim.kana, name="別人 花子")  # not protected: shown as is
    api = client_for(carol)
    rows = {r["branch_number"]: r for r in _search(api, victim)}
    masked, detail = rows[victim.branch_number], api.get(f"/api/v1/members/{victim.branch_number}/").json()
    for shown in (masked, detail):
        assert shown["masked"] is True and shown["name"] == "保護対象者"
        assert (shown["kana"], shown["sim_id"], shown["birth_date"], shown["acquired_on"]) == ("", None, None, None)
        assert victim.name not in str(shown)
    assert detail["active_settings"] == [] and detail["latest_replicas"] == []
    assert rows[other.branch_number]["name"] == "別人 花子" and rows[other.branch_number]["masked"] is False
    assert not AuditEntry.objects.filter(action="protected.viewed", actor=carol).exists()  # nothing of her shown

    url = f"/api/v1/members/{victim.branch_number}/access-reason/"
    assert_error(api.post(url, {"access_reason": " "}, format="json"), 400)
    shown = api.post(url, {"access_reason": "本人からの給付の問合せ"}, format="json")
    assert shown.status_code == 200 and shown.json()["name"] == victim.name and shown.json()["active_settings"]
    reason = AuditEntry.objects.get(action="protected.viewed", actor=carol, after__in_charge=False)
    assert reason.after["reason"] == "本人からの給付の問合せ" and reason.target_id == str(victim.pk)
    assert api.get(f"/api/v1/members/{victim.branch_number}/").json()["name"] == victim.name
    # A new token is a new sign-in: the reason is asked again.
    assert client_for(carol).get(f"/api/v1/members/{victim.branch_number}/").json()["masked"] is True


def test_a_supervisor_not_in_charge_is_masked_too(case, dept_a, victim):
    boss = f.StaffFactory(department=dept_a, role=Role.SUPERVISOR)
    assert client_for(boss).get(f"/api/v1/members/{victim.branch_number}/").json()["masked"] is True


def test_another_insurer_finds_nothing_and_cannot_give_a_reason(case, bob, victim):
    api = client_for(bob)
    assert all(r["branch_number"] != victim.branch_number for r in _search(api, victim))
    assert_error(api.get(f"/api/v1/members/{victim.branch_number}/"), 404)
    assert_error(api.post(f"/api/v1/members/{victim.branch_number}/access-reason/", {"access_reason": "確認"},
                          format="json"), 404)
