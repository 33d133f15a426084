"""Retries do not send twice (issue 9 point 5): Idempotency-Key on every POST that sends or decides, the answer built
before the commit, and every API error — 500 included — in the JSON error body."""

import threading
import time

import pytest
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

from api.models import IdempotencyKey
from api.views import exchanges as exchange_views
from audit.models import AuditEntry
from exchanges.models import AppendRequest, ExchangeRecord, ExchangeState
from exchanges.services import receive_inquiry
from flags.models import CaseClosure, ClearingRequest
from flags.policy import SettingKind
from flags.services import request_clearing, set_setting
from members.models import MemberQuerySet
from tests.api.conftest import assert_error, client_for


def _inquiry(provider, **subject):
    return {"procedure": "kenpo_benefit", "item": "local_tax", "provider": provider.pk, **subject}


def _key(value):
    return {"HTTP_IDEMPOTENCY_KEY": value}


def test_retried_inquiry_with_the_same_key_is_sent_once_and_answers_the_same(api_alice, victim, city_ko, items):
    body = _inquiry(city_ko, member=victim.branch_number)
    first = api_alice.post("/api/v1/inquiries/", body, format="json", **_key("inq-0001"))
    retry = api_alice.post("/api/v1/inquiries/", body, format="json", **_key("inq-0001"))
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert ExchangeRecord.objects.count() == 1
    assert AuditEntry.objects.filter(action="inquiry.sent").count() == 1


def test_a_new_key_sends_again(api_alice, victim, city_ko, items):
    body = _inquiry(city_ko, member=victim.branch_number)
    api_alice.post("/api/v1/inquiries/", body, format="json", **_key("inq-a"))
    api_alice.post("/api/v1/inquiries/", body, format="json", **_key("inq-b"))
    api_alice.post("/api/v1/inquiries/", body, format="json")  # no key: no promise
    assert ExchangeRecord.objects.count() == 3


def test_the_same_key_with_another_body_is_422_and_sends_nothing(api_alice, victim, abuser, city_ko, items):
    api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json",
                   **_key("inq-1"))
    other = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, sim_id=abuser.sim_id), format="json",
                           **_key("inq-1"))
    assert_error(other, 422, "idempotency_key_reused")
    # Another endpoint is another request, too.
    batch = api_alice.post("/api/v1/inquiries/batch/", {"inquiries": [_inquiry(city_ko, sim_id=abuser.sim_id)]},
                           format="json", **_key("inq-1"))
    assert_error(batch, 422, "idempotency_key_reused")
    assert ExchangeRecord.objects.count() == 1


def test_keys_belong_to_one_api_user(api_alice, api_sam, victim, city_ko, items):
    body = _inquiry(city_ko, member=victim.branch_number)
    api_alice.post("/api/v1/inquiries/", body, format="json", **_key("shared"))
    second = api_sam.post("/api/v1/inquiries/", body, format="json", **_key("shared"))
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert ExchangeRecord.objects.count() == 2


def test_key_order_in_the_body_does_not_matter(api_alice, victim, city_ko, items):
    body = _inquiry(city_ko, member=victim.branch_number)
    api_alice.post("/api/v1/inquiries/", body, format="json", **_key("ordered"))
    retry = api_alice.post("/api/v1/inquiries/", dict(reversed(list(body.items()))), format="json", **_key("ordered"))
    assert retry.status_code == 201 and ExchangeRecord.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "日本語のキー", "with space"])
def test_a_malformed_key_is_400(api_alice, victim, city_ko, items, key):
    response = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json",
                              **_key(key))
    assert_error(response, 400, "invalid_idempotency_key")
    assert not ExchangeRecord.objects.exists()


def test_a_refused_act_is_not_stored_and_may_be_retried(api_alice, victim, city_ko, items, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("connection lost")

    body = _inquiry(city_ko, member=victim.branch_number)
    with monkeypatch.context() as m:
        m.setattr("exchanges.inquiries.flag_selectors.both_sides", broken)
        assert_error(api_alice.post("/api/v1/inquiries/", body, format="json", **_key("after-outage")), 503)
    assert not IdempotencyKey.objects.exists()
    retry = api_alice.post("/api/v1/inquiries/", body, format="json", **_key("after-outage"))
    assert retry.status_code == 201 and ExchangeRecord.objects.count() == 1


def test_retried_batch_sends_each_inquiry_once(api_alice, victim, abuser, city_ko, items):
    body = {"inquiries": [_inquiry(city_ko, member=victim.branch_number), _inquiry(city_ko, member="A9999999"),
                          _inquiry(city_ko, sim_id=abuser.sim_id)]}
    first = api_alice.post("/api/v1/inquiries/batch/", body, format="json", **_key("batch-1"))
    retry = api_alice.post("/api/v1/inquiries/batch/", body, format="json", **_key("batch-1"))
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert [r["sent"] for r in first.json()["results"]] == [True, False, True]
    assert ExchangeRecord.objects.count() == 2


@pytest.fixture
def waiting(alice, victim, city_otsu, procedures, items):
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="副本の確認")
    return receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                           procedure=procedures["welfare"], item=items["medical_eligibility"])


@pytest.mark.parametrize("action,body", [("approve", {"nondisclosure_code": True}), ("decline", {"reason": "誤り"})])
def test_retried_manual_decision_answers_the_first_result_not_409(api_alice, waiting, action, body):
    path = f"/api/v1/manual-responses/{waiting.pk}/{action}/"
    first = api_alice.post(path, body, format="json", **_key(f"manual-{action}"))
    retry = api_alice.post(path, body, format="json", **_key(f"manual-{action}"))
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert AuditEntry.objects.filter(action__startswith="manual_response.").count() == 1
    # Without the key the second call is refused as already processed, as before.
    assert_error(api_alice.post(path, body, format="json"), 409, "already_processed")
    waiting.refresh_from_db()
    assert waiting.state != ExchangeState.MANUAL


def test_retried_append_request_files_it_once(api_alice, victim, city_ko, items):
    record = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json").json()
    path = f"/api/v1/exchanges/{record['id']}/append-requests/"
    first = api_alice.post(path, {"reason": "事後に判明"}, format="json", **_key("append-1"))
    retry = api_alice.post(path, {"reason": "事後に判明"}, format="json", **_key("append-1"))
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert AppendRequest.objects.count() == 1


def test_retried_clearing_decision_decides_once(api_alice, api_sam, alice, victim):
    setting = set_setting(actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, reason="DV")
    clearing = request_clearing(actor=alice, setting=setting, reason="本人の希望")
    path = f"/api/v1/clearing-requests/{clearing.pk}/decision/"
    first = api_sam.post(path, {"approve": True, "note": "確認済み"}, format="json", **_key("decide-1"))
    retry = api_sam.post(path, {"approve": True, "note": "確認済み"}, format="json", **_key("decide-1"))
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert ClearingRequest.objects.get(pk=clearing.pk).decided_at is not None


def test_retried_case_closure_request_and_decision_act_once(api_alice, api_sam, api_sue, victim):
    """Lifecycle's closing of a 設定対象者 decides like a clearing: a retry replays the first answer."""
    case = api_alice.post("/api/v1/cases/open/", {"member": victim.branch_number, "victim_confirmed": True,
                                                  "fled_confirmed": True, "requested_by_person": True},
                          format="json").json()
    path = f"/api/v1/cases/{case['id']}/closure-requests/"
    body = {"reason": "本人から終了の申出", "clear_settings": True}
    first = api_sam.post(path, body, format="json", **_key("close-1"))
    retry = api_sam.post(path, body, format="json", **_key("close-1"))
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert CaseClosure.objects.filter(case_id=case["id"]).count() == 1
    decision = f"/api/v1/case-closures/{first.json()['id']}/decision/"
    first = api_sue.post(decision, {"approve": True, "note": "確認済"}, format="json", **_key("close-decide-1"))
    retry = api_sue.post(decision, {"approve": True, "note": "確認済"}, format="json", **_key("close-decide-1"))
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(action="case.close_requested").count() == 1
    assert AuditEntry.objects.filter(action="case.closed").count() == 1


def test_a_failure_while_building_the_answer_does_not_leave_a_sent_inquiry(api_alice, victim, city_ko, items,
                                                                         monkeypatch):
    """Today's bug: the answer was built by queries after the commit, so a failure there told the client (with an HTML
    500) that a sent inquiry had failed, and its retry sent it twice. The answer is now built before the commit."""
    def broken(*args, **kwargs):
        raise DatabaseError("connection lost after sending")

    monkeypatch.setattr("api.views.exchanges.record_context", broken)  # runs while the answer is built
    response = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json",
                              **_key("fragile"))
    assert_error(response, 500, "server_error")
    assert not ExchangeRecord.objects.exists()  # told it failed ⇒ it was not sent
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    retry = api_alice.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json",
                           **_key("fragile"))
    assert retry.status_code == 201 and ExchangeRecord.objects.count() == 1


def test_a_failure_after_the_commit_cannot_turn_a_sent_inquiry_into_an_error(api_alice, victim, city_ko, items,
                                                                           monkeypatch):
    """Inject a failure into everything the old view ran after send_inquiry committed (member lookup for the answer):
    either the client is told 201 and the inquiry exists, or it is told an error and nothing was sent."""
    sent = {"done": False}
    original_send = exchange_views.send_inquiry
    original_visible = MemberQuerySet.visible_to

    def send_then_mark(**kwargs):
        record = original_send(**kwargs)
        sent["done"] = True
        return record

    def visible_to(self, user):
        if sent["done"]:
            raise DatabaseError("replica lag")
        return original_visible(self, user)

    monkeypatch.setattr("api.views.exchanges.send_inquiry", send_then_mark)
    monkeypatch.setattr(MemberQuerySet, "visible_to", visible_to)
    response = APIClient(raise_request_exception=False)
    response.credentials(**api_alice._credentials)
    answer = response.post("/api/v1/inquiries/", _inquiry(city_ko, member=victim.branch_number), format="json")
    if answer.status_code == 201:
        assert ExchangeRecord.objects.count() == 1
    else:
        assert_error(answer, 500, "server_error")
        assert not ExchangeRecord.objects.exists()


def test_an_unexpected_exception_in_a_view_is_the_json_error_body(api_alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("api.views.exchanges.InfoItem.objects.order_by", broken)
    client = APIClient(raise_request_exception=False)
    client.credentials(**api_alice._credentials)
    body = assert_error(client.get("/api/v1/catalogue/"), 500, "server_error")
    assert "bug" not in body["message"]  # nothing of the exception reaches the client


def test_an_exception_outside_a_drf_view_under_api_is_the_json_error_body(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("api.views.common.JsonResponse", broken)
    response = APIClient(raise_request_exception=False).get("/api/no-such-path/")
    assert_error(response, 500, "server_error")
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_with_one_key_send_once_and_answer_alike(requires_postgres, flushed_catalogue, alice,
                                                                        victim, city_ko, monkeypatch):
    """Two connections post the same key at once: the second waits on the key's unique index while the first sends,
    then answers what the first stored."""
    original = exchange_views.send_inquiry

    def slow_send(**kwargs):
        record = original(**kwargs)
        time.sleep(0.5)  # widen the window in which the other request arrives (the assertions do not depend on it)
        return record

    monkeypatch.setattr("api.views.exchanges.send_inquiry", slow_send)
    body = _inquiry(city_ko, member=victim.branch_number)
    start, answers = threading.Barrier(2), {}

    def post(name):
        try:
            client = client_for(alice)
            start.wait(timeout=30)
            response = client.post("/api/v1/inquiries/", body, format="json", **_key("concurrent"))
            answers[name] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers["first"] == answers["second"] and answers["first"][0] == 201, answers
    assert ExchangeRecord.objects.count() == 1


def test_stored_answers_are_purged_after_their_ttl_and_fresh_ones_still_replay(api_alice, victim, city_ko, items,
                                                                               settings):
    """Stored answers hold personal data and grow with every POST: the daily purge deletes those past
    IDEMPOTENCY_KEY_TTL (24 h by default); a fresh key still replays."""
    import datetime
    import io

    from django.core.management import call_command
    from django.utils import timezone

    body = _inquiry(city_ko, member=victim.branch_number)
    api_alice.post("/api/v1/inquiries/", body, format="json", **_key("old-key"))
    api_alice.post("/api/v1/inquiries/", body, format="json", **_key("fresh-key"))
    IdempotencyKey.objects.filter(key="old-key").update(created_at=timezone.now() - datetime.timedelta(hours=25))
    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "1件" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh-key"]
    retry = api_alice.post("/api/v1/inquiries/", body, format="json", **_key("fresh-key"))
    assert retry["Idempotent-Replayed"] == "true" and ExchangeRecord.objects.count() == 2
    settings.IDEMPOTENCY_KEY_TTL = datetime.timedelta(hours=0)
    call_command("purge_idempotency_keys", stdout=io.StringIO())
    assert not IdempotencyKey.objects.exists()
