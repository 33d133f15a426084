"""Inquiries (single, batch), exchange records, the manual-response queue and 追記依頼 over the API."""

from django.db import DatabaseError

from exchanges.models import ExchangeRecord
from exchanges.selectors import portal_history
from exchanges.services import receive_inquiry
from flags.policy import SettingKind
from flags.services import open_protection_case, set_setting
from tests.api.conftest import assert_error


def _inquiry(provider, **subject):
    return {"procedure": "kenpo_benefit", "item": "local_tax", "provider": provider.pk, **subject}


def test_flag_check_failure_sends_nothing_and_answers_503(api_alice, victim, city_ko, items, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr("exchanges.inquiries.flag_selectors.both_sides", broken)
    monkeypatch.setattr("exchanges.batch.flag_selectors.both_sides_many", broken)
    response = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json")
    assert_error(response, 503, "flag_check_failed")
    batch = api_alice.post("/api/v1/inquiries/batch/", {"inquiries": [_inquiry(city_ko, member=victim.branch_number)]},
                           format="json").json()
    assert batch["results"][0]["sent"] is False and batch["results"][0]["error"]["code"] == "flag_check_failed"
    assert not ExchangeRecord.objects.exists()


def test_audit_failure_after_the_record_is_written_sends_nothing_and_keeps_no_key(api_alice, victim, city_ko,
                                                                                   items, monkeypatch):
    """The API's send has no savepoint of its own (issue 20): a database error after the record's INSERT rolls back
    the Idempotency-Key transaction whole — no record, no entry, no stored answer — and a retry with the same key
    sends once."""
    from audit.models import AuditEntry
    from audit.services import append as real_append

    def breaks(*entries):
        assert ExchangeRecord.objects.count() == 1  # written inside the transaction before the failure
        raise DatabaseError("connection lost at the audit write")

    monkeypatch.setattr("exchanges.inquiries.audit_append", breaks)
    body = _inquiry(city_ko, member=victim.branch_number)
    assert_error(api_alice.post("/api/v1/inquiries/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"), 503,
                 "flag_check_failed")
    assert not ExchangeRecord.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="inquiry.").exists()
    monkeypatch.setattr("exchanges.inquiries.audit_append", real_append)
    sent = api_alice.post("/api/v1/inquiries/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert sent.status_code == 201 and "Idempotent-Replayed" not in sent
    assert ExchangeRecord.objects.count() == 1


def test_batch_reports_each_item(api_alice, victim, abuser, city_ko, items):
    response = api_alice.post("/api/v1/inquiries/batch/", {"inquiries": [
        _inquiry(city_ko, member=victim.branch_number),
        _inquiry(city_ko, member="A9999999"),
        _inquiry(city_ko, sim_id=abuser.sim_id, nondisclosure_code=True),
        {**_inquiry(city_ko, sim_id=abuser.sim_id), "item": "medical_benefit"},  # not allowed for this 事務
    ]}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["sent"] for r in results] == [True, False, True, False]
    assert results[1]["error"]["fields"] == {"member": ["この被保険者枝番の被保険者は見つかりません。"]}
    assert "item" in results[3]["error"]["fields"]
    assert results[2]["record"]["inquiry_code_source"] == "manual"
    assert ExchangeRecord.objects.count() == 2


def test_batch_with_a_malformed_item_sends_nothing(api_alice, victim, city_ko, items):
    body = {"inquiries": [_inquiry(city_ko, member=victim.branch_number), {"procedure": "kenpo_benefit"}]}
    error = assert_error(api_alice.post("/api/v1/inquiries/batch/", body, format="json"), 400)
    assert list(error["fields"]["inquiries"]) == ["1"] and "item" in error["fields"]["inquiries"]["1"]
    assert not ExchangeRecord.objects.exists()


def test_member_and_sim_id_are_exclusive(api_alice, victim, abuser, city_ko, items):
    for subject in ({}, {"member": victim.branch_number, "sim_id": abuser.sim_id}):
        assert "member" in assert_error(api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, **subject),
                                                       format="json"), 400)["fields"]


def test_inquiry_about_a_linked_abuser_carries_the_code_whatever_the_client_asks(
    api_alice, api_bob, alice, bob, victim, abuser, city_ko, items
):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_inquiry_about_abuser=True, linked_persons=[abuser])
    for asked in (False, True):
        body = _inquiry(city_ko, sim_id=abuser.sim_id, nondisclosure_code=asked)
        sent = api_alice.post("/api/v1/inquiries/", body, format="json").json()
        assert (sent["inquiry_code"], sent["inquiry_code_source"], sent["inquiry_code_case"]) == (
            True, "linked", case.pk)
        assert "warnings" not in sent
    # Insurer B's inquiry about the same man is B's own affair: A's case does not reach it.
    theirs = api_bob.post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id), format="json").json()
    assert theirs["inquiry_code"] is False and theirs["inquiry_code_case"] is None


def test_exchange_list_filters_and_scope(api_alice, api_bob, api_audrey, alice, victim, abuser, city_ko, items):
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="DV")
    flagged = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json").json()
    plain = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id), format="json").json()
    care = api_audrey.get("/api/v1/exchanges/", {"handle_with_care": "true"}).json()["results"]
    assert [r["id"] for r in care] == [flagged["id"]]  # the auditor sees hidden records too
    assert [r["id"] for r in api_alice.get("/api/v1/exchanges/", {"direction": "inquiry"}).json()["results"]] == [
        plain["id"], flagged["id"]]
    assert api_alice.get("/api/v1/exchanges/", {"direction": "provision"}).json()["results"] == []
    assert api_bob.get("/api/v1/exchanges/").json()["results"] == []
    assert_error(api_bob.get(f"/api/v1/exchanges/{flagged['id']}/"), 404)
    assert_error(api_alice.get("/api/v1/exchanges/not-a-uuid/"), 404)


def test_manual_queue_approve_twice_is_409_and_other_insurer_404(api_alice, api_bob, alice, victim, city_otsu,
                                                                 procedures, items):
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="副本の誤り")
    record = receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                             procedure=procedures["welfare"], item=items["medical_eligibility"])
    assert_error(api_bob.post(f"/api/v1/manual-responses/{record.pk}/approve/", {}, format="json"), 404)
    assert_error(api_bob.get(f"/api/v1/manual-responses/{record.pk}/"), 404)
    ok = api_alice.post(f"/api/v1/manual-responses/{record.pk}/approve/", {}, format="json")
    assert ok.status_code == 200 and ok.json()["content_corrected"] is False
    assert_error(api_alice.post(f"/api/v1/manual-responses/{record.pk}/decline/", {"reason": "x"}, format="json"),
                 409, "already_processed")
    assert_error(api_alice.get(f"/api/v1/manual-responses/{record.pk}/"), 404)  # no longer in the queue


def test_flag_set_while_waiting_codes_the_approval(api_alice, alice, victim, city_otsu, procedures, items):
    """別紙1 ※2: 不開示該当 set while an inquiry waits applies when it is answered."""
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="副本の誤り")
    record = receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                             procedure=procedures["welfare"], item=items["medical_eligibility"])
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="DV")
    body = api_alice.post(f"/api/v1/manual-responses/{record.pk}/approve/", {"nondisclosure_code": False},
                          format="json").json()
    assert body["provision_code"] is True and body["provision_code_source"] == "auto"


def test_append_request_hides_the_record_from_the_portal_once_nws_processed_it(
    api_alice, victim, city_ko, items, sim_on
):
    record = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json").json()
    assert len(portal_history(person=victim.person)) == 1
    response = api_alice.post(f"/api/v1/exchanges/{record['id']}/append-requests/", {"reason": "事後に設定対象者と判明"},
                              format="json")
    body = response.json()
    assert response.status_code == 201 and body["status"] == "pending" and body["processed_at"] is None
    assert body["still_shown"] is True and len(portal_history(person=victim.person)) == 1
    again = api_alice.post(f"/api/v1/exchanges/{record['id']}/append-requests/", {"reason": "二度目"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "append_request_exists"
    assert again.json()["existing"]["id"] == body["id"]
    processed = api_alice.post("/api/sim/nws/append-requests/process/", {}, format="json", **sim_on)
    assert processed.status_code == 200 and processed.json()["processed"] == [body["id"]]
    assert portal_history(person=victim.person) == []
    assert api_alice.get(f"/api/v1/exchanges/{record['id']}/").json()["appended_nondisclosure"] is True
    assert [a["record"] for a in api_alice.get("/api/v1/append-requests/").json()["results"]] == [record["id"]]
