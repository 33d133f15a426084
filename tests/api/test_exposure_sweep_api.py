"""Exposure sweep over the API (issue 11 point 4): list, bulk 追記依頼 (pending until the simulated NWS), 409 for a
record already requested, 404 for another insurer."""

from exchanges.selectors import portal_history
from exchanges.services import InquiryRequest, send_inquiry
from flags.services import open_protection_case
from tests.api.conftest import assert_error, client_for


def _asks(alice, procedures, items, city, **who):
    return send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city, **who))


def test_sweep_over_the_api_files_once_and_nws_hides_the_records(
    alice, bob, victim, abuser, city_ko, procedures, items, sim_on
):
    about_her = _asks(alice, procedures, items, city_ko, member=victim)
    about_him = _asks(alice, procedures, items, city_ko, sim_id=abuser.sim_id)
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, linked_persons=[abuser], reason="本人の申出")
    api = client_for(alice)
    listed = api.get(f"/api/v1/cases/{case.pk}/exposure/").json()["results"]
    assert {(line["record"], line["about"]) for line in listed} == {(str(about_her.pk), "her"),
                                                                     (str(about_him.pk), "linked")}
    assert all(line["selectable"] and line["pending_append_request"] is None for line in listed)
    assert_error(client_for(bob).get(f"/api/v1/cases/{case.pk}/exposure/"), 404, "not_found")

    url = f"/api/v1/cases/{case.pk}/exposure/append-requests/"
    body = {"records": [line["record"] for line in listed], "reason": "登録前の記録"}
    filed = api.post(url, body, format="json")
    assert filed.status_code == 201, filed.content
    assert [a["status"] for a in filed.json()["append_requests"]] == ["pending", "pending"]
    assert all(a["still_shown"] for a in filed.json()["append_requests"])
    assert about_him in portal_history(person=abuser)  # until NWS processes it
    assert_error(api.post(url, body, format="json"), 409, "append_request_exists")
    listed = api.get(f"/api/v1/cases/{case.pk}/exposure/").json()["results"]
    assert not any(line["selectable"] for line in listed)

    assert api.post("/api/sim/nws/append-requests/process/", {}, format="json", **sim_on).status_code == 200
    assert api.get(f"/api/v1/cases/{case.pk}/exposure/").json()["results"] == []
    assert portal_history(person=abuser) == [] and portal_history(person=victim.person) == []


def test_a_record_outside_the_sweep_is_refused(alice, victim, abuser, city_ko, procedures, items):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    unrelated = _asks(alice, procedures, items, city_ko, sim_id=abuser.sim_id)  # not linked: not in the sweep
    response = client_for(alice).post(f"/api/v1/cases/{case.pk}/exposure/append-requests/",
                                      {"records": [str(unrelated.pk)], "reason": "念のため"}, format="json")
    assert assert_error(response, 400)["fields"] == {"records": ["一覧にない記録が含まれています。一覧を開き直してください。"]}


def test_the_501_item_limit_is_explained_in_japanese(alice, victim):
    """Issue 19: the 501-item limit answered in English (DRF's ja catalogue lacks it; locale/ja fills it in)."""
    import uuid

    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    body = {"records": [str(uuid.uuid4()) for _ in range(501)], "reason": "登録前の記録"}
    response = client_for(alice).post(f"/api/v1/cases/{case.pk}/exposure/append-requests/", body, format="json")
    assert response.status_code == 400
    text = response.content.decode()
    assert "一度に指定できるのは500件までです。" in text and "Ensure" not in text
