"""Issue 10 points 2, 4, 5, 6 over the API: registration by 別紙2 §2 alone and 409 with the open case; clearing case ①
flags only after dated card procedures or a supervisor's override; closing a case through four eyes; review date."""

import datetime

from django.utils import timezone

from tests.api.conftest import assert_error

CASE = {"victim_confirmed": True, "fled_confirmed": True, "requested_by_person": True}


def _open(client, member, **extra):
    response = client.post("/api/v1/cases/open/", {"member": member.branch_number, **CASE, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _active(client, member):
    return client.get("/api/v1/settings/", {"member": member.branch_number, "active": "true"}).json()["results"]


def test_api_registers_a_victim_by_a_i_u_alone_without_case_1_or_2(api_alice, victim):
    case = _open(api_alice, victim)
    assert case["case_card_or_proxy"] is False and case["case_inquiry_about_abuser"] is False
    assert case["review_on"] == (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    assert {s["kind"] for s in _active(api_alice, victim)} == {"non_disclosure"}


def test_api_second_open_case_is_409_with_the_open_cases_id_and_url(api_alice, victim):
    first = _open(api_alice, victim)
    response = api_alice.post("/api/v1/cases/open/", {"member": victim.branch_number, **CASE}, format="json")
    body = response.json()
    assert response.status_code == 409 and body["code"] == "open_case_exists" and "対応中の設定対象者" in body["message"]
    assert body["open_case"] == {"id": first["id"], "url": f"/api/v1/cases/{first['id']}/"}
    assert api_alice.get(body["open_case"]["url"]).status_code == 200


def test_api_case_1_clearing_waits_for_dated_procedures_unless_a_supervisor_overrides(api_alice, api_sam, api_sue,
                                                                                       victim):
    case = _open(api_alice, victim, case_card_or_proxy=True)
    assert case["card_procedures_missing"] == ["カード停止の完了確認日", "代理人設定の解除の確認日"]
    nsi = next(s for s in _active(api_alice, victim) if s["kind"] == "no_self_info")
    url = f"/api/v1/settings/{nsi['id']}/clearing-requests/"
    assert_error(api_alice.post(url, {"reason": "申出"}, format="json"), 409, "card_procedures_incomplete")
    refused = assert_error(api_alice.post(url, {"reason": "申出", "override_reason": "急ぎ"}, format="json"), 400)
    assert "override_reason" in refused["fields"]
    request = api_sam.post(url, {"reason": "本人の希望", "override_reason": "カード廃止を市に確認済み"}, format="json")
    assert request.status_code == 201 and request.json()["override_reason"] == "カード廃止を市に確認済み"
    decided = api_sue.post(f"/api/v1/clearing-requests/{request.json()['id']}/decision/", {"approve": True},
                           format="json")
    assert decided.status_code == 200
    cleared = api_alice.get(f"/api/v1/settings/{nsi['id']}/").json()
    assert cleared["active"] is False and cleared["cleared_by_name"] == "スー 責任者"
    assert cleared["clear_requested_by_name"] == "サム 責任者"


def test_api_checklist_with_dates_refuses_a_completion_before_its_advice(api_alice, victim):
    case = _open(api_alice, victim, case_card_or_proxy=True)
    body = assert_error(api_alice.post(f"/api/v1/cases/{case['id']}/checklist/", {
        "card_suspension_advised_on": "2026-04-10", "card_suspension_confirmed_on": "2026-04-01"}, format="json"), 400)
    assert "card_suspension_confirmed_on" in body["fields"]


def test_api_closing_a_case_four_eyes_clears_its_flags_and_keeps_history(api_alice, api_sam, api_sue, victim):
    case = _open(api_alice, victim, no_auto_response_wanted=True)
    url = f"/api/v1/cases/{case['id']}/closure-requests/"
    assert_error(api_alice.post(url, {"reason": "終了"}, format="json"), 409, "settings_in_force")
    closure = api_sam.post(url, {"reason": "本人から終了の申出", "clear_settings": True}, format="json")
    assert closure.status_code == 201
    closure = closure.json()
    assert api_alice.get(f"/api/v1/cases/{case['id']}/").json()["pending_closure"] == closure["id"]
    decision = f"/api/v1/case-closures/{closure['id']}/decision/"
    assert_error(api_sam.post(decision, {"approve": True}, format="json"), 409, "four_eyes")
    assert_error(api_alice.post(decision, {"approve": True}, format="json"), 403, "permission_denied")
    assert api_sue.post(decision, {"approve": True, "note": "確認済"}, format="json").status_code == 200
    closed = api_alice.get(f"/api/v1/cases/{case['id']}/").json()
    assert closed["is_open"] is False and closed["closed_at"] and closed["close_reason"] == "本人から終了の申出"
    assert _active(api_alice, victim) == []
    history = api_alice.get("/api/v1/settings/", {"member": victim.branch_number}).json()["results"]
    assert len(history) == 2 and all(s["cleared_by_name"] == "スー 責任者" for s in history)
    assert_error(api_alice.post(url, {"reason": "再度"}, format="json"), 409, "already_closed")


def test_api_review_date_is_set_and_due_cases_are_listed(api_alice, victim):
    case = _open(api_alice, victim)
    new_day = timezone.localdate() + datetime.timedelta(days=30)
    response = api_alice.post(f"/api/v1/cases/{case['id']}/review-date/",
                              {"review_on": new_day.isoformat(), "reason": "1か月後に確認"}, format="json")
    assert response.status_code == 200 and response.json()["review_on"] == new_day.isoformat()
    assert api_alice.get("/api/v1/cases/", {"review_due": "true"}).json()["results"] == []
    past = assert_error(api_alice.post(f"/api/v1/cases/{case['id']}/review-date/",
                                       {"review_on": "2020-01-01", "reason": "x"}, format="json"), 400)
    assert "review_on" in past["fields"]
