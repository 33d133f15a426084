"""Settings, clearing (four eyes) and 設定対象者 over the API: the same rules as the console."""

import pytest

from audit.models import AuditEntry
from flags.models import Setting
from tests.api.conftest import assert_error


def _set(client, member, kind="non_disclosure", item=None):
    body = {"member": member, "kind": kind, "reason": "DV被害の申出"}
    if item:
        body["item"] = item
    return client.post("/api/v1/settings/set/", body, format="json")


def test_set_whole_and_item_settings_and_refuse_a_duplicate(api_alice, alice, victim, items):
    whole = _set(api_alice, victim.branch_number)
    assert whole.status_code == 201 and whole.json()["scope_label"] == "全体" and whole.json()["source"] == "api"
    item = _set(api_alice, victim.branch_number, kind="no_auto_response", item="medical_eligibility")
    assert item.status_code == 201 and item.json()["item"] == "medical_eligibility"
    assert_error(_set(api_alice, victim.branch_number), 409, "duplicate")
    assert Setting.objects.filter(member=victim).count() == 2
    assert AuditEntry.objects.filter(action="setting.set", actor=alice).count() == 2


def test_clearing_needs_a_second_supervisor(api_alice, api_sam, api_sue, victim, items):
    setting = _set(api_alice, victim.branch_number).json()
    request = api_alice.post(f"/api/v1/settings/{setting['id']}/clearing-requests/", {"reason": "完了を確認"},
                             format="json").json()
    assert request["state"] == "pending"
    assert_error(api_alice.post(f"/api/v1/settings/{setting['id']}/clearing-requests/", {"reason": "再依頼"},
                                format="json"), 409, "pending_exists")
    assert_error(api_alice.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": True},
                                format="json"), 403, "permission_denied")
    assert api_alice.get(f"/api/v1/settings/{setting['id']}/").json()["active"] is True  # still in force
    rejected = api_sam.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": False, "note": "未確認"},
                            format="json")
    assert rejected.json()["state"] == "rejected"
    request = api_sam.post(f"/api/v1/settings/{setting['id']}/clearing-requests/", {"reason": "完了を確認"},
                           format="json").json()
    assert_error(api_sam.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": True},
                              format="json"), 409, "four_eyes")
    approved = api_sue.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": True}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    cleared = api_alice.get(f"/api/v1/settings/{setting['id']}/").json()
    assert cleared["active"] is False and cleared["clear_reason"] == "完了を確認"
    assert_error(api_sue.post(f"/api/v1/clearing-requests/{request['id']}/decision/", {"approve": True},
                              format="json"), 409, "already_decided")


def test_filters_on_settings(api_alice, victim, items):
    _set(api_alice, victim.branch_number)
    _set(api_alice, victim.branch_number, kind="no_self_info")
    kinds = [s["kind"] for s in api_alice.get("/api/v1/settings/", {"kind": "no_self_info"}).json()["results"]]
    assert kinds == ["no_self_info"]
    assert_error(api_alice.get("/api/v1/settings/", {"kind": "everything"}), 400)


def test_open_case_sets_case_1_flags_and_links_the_abuser(api_alice, victim, abuser, items):
    response = api_alice.post("/api/v1/cases/open/", {
        "member": victim.branch_number, "victim_confirmed": True, "fled_confirmed": True,
        "requested_by_person": True, "case_card_or_proxy": True, "linked_sim_ids": [abuser.sim_id.lower()]},
        format="json")
    assert response.status_code == 201, response.content
    case = response.json()
    assert [p["sim_id"] for p in case["linked_persons"]] == [abuser.sim_id] and case["is_open"] is True
    kinds = {s["kind"] for s in api_alice.get(f"/api/v1/members/{victim.branch_number}/").json()["active_settings"]}
    assert kinds == {"non_disclosure", "no_self_info"}  # 別紙2 ケース①
    done = api_alice.post(f"/api/v1/cases/{case['id']}/checklist/", {
        "card_suspension_advised_on": "2026-04-03", "card_suspension_confirmed_on": "2026-04-20"}, format="json")
    assert done.json()["card_suspension_confirmed_on"] == "2026-04-20"
    assert done.json()["card_procedures_missing"] == ["代理人設定の解除の確認日"]


@pytest.mark.parametrize("body, field", [
    ({"victim_confirmed": False, "fled_confirmed": True, "requested_by_person": True, "case_card_or_proxy": True},
     "victim_confirmed"),
    ({"victim_confirmed": True, "fled_confirmed": True, "requested_by_person": False, "case_card_or_proxy": True},
     "requested_by_person"),
    ({"victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True, "case_card_or_proxy": True,
      "linked_sim_ids": ["SIM-NONE-NONE"]}, "linked_sim_ids"),
    ({"victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True, "case_card_or_proxy": True,
      "linked_sim_ids": "SIM-NONE-NONE"}, "linked_sim_ids"),
])
def test_case_conditions_of_bessi_2_are_field_errors(api_alice, victim, items, body, field):
    body = {"member": victim.branch_number, **body}
    assert field in assert_error(api_alice.post("/api/v1/cases/open/", body, format="json"), 400)["fields"]


def test_the_abuser_may_be_our_own_member_but_not_the_victim_herself(api_alice, victim, insurer_a, items):
    from tests import factories as f

    other = f.MemberFactory(insurer=insurer_a)
    body = {"member": victim.branch_number, "victim_confirmed": True, "fled_confirmed": True,
            "requested_by_person": True, "case_card_or_proxy": True, "linked_sim_ids": [victim.person.sim_id]}
    assert "linked_sim_ids" in assert_error(api_alice.post("/api/v1/cases/open/", body, format="json"), 400)["fields"]
    response = api_alice.post("/api/v1/cases/open/", {**body, "linked_sim_ids": [other.person.sim_id]}, format="json")
    assert response.status_code == 201, response.content
    assert [p["name"] for p in response.json()["linked_persons"]] == [other.person.name]
