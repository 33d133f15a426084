"""Issue 17 points 3, 5 and 7 over the API: the case answers what the card and proxy facts contradict and takes
「対象外」; clearing refused on typed dates the facts contradict (409); 同伴者 added (protections set), their
removal asked and decided by another supervisor; another insurer's staff get 404."""

from portal_sim.services import name_proxy
from tests import factories as f
from tests.api.conftest import assert_error

CASE_1 = {"victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True, "case_card_or_proxy": True}
DONE = {"card_suspension_advised_on": "2026-04-03", "card_suspension_confirmed_on": "2026-04-03",
        "proxy_cancel_advised_on": "2026-04-03", "proxy_cancel_confirmed_on": "2026-04-03"}


def _case_1(client, victim, abuser):
    case = client.post("/api/v1/cases/open/", {"member": victim.branch_number, **CASE_1,
                                               "linked_sim_ids": [abuser.sim_id]}, format="json").json()
    assert client.post(f"/api/v1/cases/{case['id']}/checklist/", DONE, format="json").status_code == 200
    return case


def _active(client, member):
    return client.get("/api/v1/settings/", {"member": member.branch_number, "active": "true"}).json()["results"]


def test_api_gate_answers_the_facts_and_refuses_typed_dates_they_contradict(api_alice, victim, abuser):
    case = _case_1(api_alice, victim, abuser)
    name_proxy(principal=victim.person, agent=abuser)
    seen = api_alice.get(f"/api/v1/cases/{case['id']}/").json()
    assert seen["card_procedures_missing"] == []
    assert seen["card_facts_contradicting"] == ["要注意照会対象者（加害者など）が代理人に設定されたままです"]
    nd = next(s for s in _active(api_alice, victim) if s["kind"] == "non_disclosure")
    refused = api_alice.post(f"/api/v1/settings/{nd['id']}/clearing-requests/", {"reason": "手続完了と聞いた"},
                             format="json")
    assert_error(refused, 409, "card_procedures_incomplete")


def test_api_card_suspension_not_applicable_needs_a_reason(api_alice, victim, abuser):
    case = _case_1(api_alice, victim, abuser)
    url = f"/api/v1/cases/{case['id']}/checklist/"
    body = {"card_suspension_advised_on": None, "card_suspension_confirmed_on": None,
            "card_suspension_not_applicable": True}
    assert "card_suspension_not_applicable_reason" in assert_error(api_alice.post(url, body, format="json"), 400)[
        "fields"]
    done = api_alice.post(url, {**body, "card_suspension_not_applicable_reason": "代理人のみ"}, format="json").json()
    assert done["card_suspension_not_applicable"] is True and done["card_procedures_missing"] == []


def test_api_companion_added_protected_and_removed_by_another_supervisor(api_alice, api_sam, api_sue, api_bob,
                                                                          victim, abuser):
    case = _case_1(api_alice, victim, abuser)
    child = f.MemberFactory(insurer=victim.insurer, branch_number="A0000020")
    assert_error(api_bob.post(f"/api/v1/cases/{case['id']}/companions/",
                              {"member": child.branch_number, "relation": "子", "reason": "避難"}, format="json"), 404)
    added = api_alice.post(f"/api/v1/cases/{case['id']}/companions/",
                           {"member": child.branch_number, "relation": "子", "reason": "母と共に避難"}, format="json")
    assert added.status_code == 201, added.content
    companion = added.json()
    assert {s["kind"] for s in _active(api_alice, child)} == {"non_disclosure", "no_self_info"}
    assert [c["member"] for c in api_alice.get(f"/api/v1/cases/{case['id']}/").json()["companions"]] == ["A0000020"]
    removal = api_sam.post(f"/api/v1/companions/{companion['id']}/removal-requests/", {"reason": "祖父母の元へ"},
                           format="json").json()
    assert removal["state"] == "pending"
    own = api_sam.post(f"/api/v1/companion-removals/{removal['id']}/decision/", {"approve": True}, format="json")
    assert_error(own, 409)
    assert api_sue.post(f"/api/v1/companion-removals/{removal['id']}/decision/", {"approve": True},
                        format="json").json()["state"] == "approved"
    assert _active(api_alice, child) == []
    assert api_bob.get("/api/v1/companion-removals/").json()["results"] == []
