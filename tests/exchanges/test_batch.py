"""一括照会, set-based (issue 20 ④): every line decided as send_inquiry decides it, in a constant number of SQL
statements per chunk, all or nothing per line; over the API as JSON and as an NDJSON stream with chunk replays."""

import json

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from audit.chain import verify_chain
from audit.models import AuditEntry
from exchanges.batch import send_inquiries
from exchanges.models import ExchangeRecord
from exchanges.services import InquiryRequest, send_inquiry
from flags.links import link_person
from flags.policy import SettingKind
from flags.services import open_protection_case, set_peer_setting
from tests import factories as f
from tests.api.conftest import client_for

DECIDED = ("state", "inquiry_code", "inquiry_code_source", "inquiry_code_case_id", "provision_code",
           "provision_code_source", "provided_content", "replica_id", "provider_id", "subject_id", "item_id")


@pytest.fixture
def world(alice, sam, victim, abuser, city_data, city_ko, city_otsu, insurer_b, dept_b, items, procedures):
    """Every way a line can be decided: her 不開示該当 (renewal ①), the abuser linked to her case (要注意照会対象),
    a member with nothing, 甲市's own flag on her (provider side), insurer B (a tenant: its 自動応答不可 keeps the
    answer for 手動応答), a hand-set code, an item without a 副本."""
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True)
    link_person(actor=alice, case=case, person=abuser, reason="加害者")
    plain = f.MemberFactory(insurer=victim.insurer, branch_number="A0000002")
    f.ReplicaFactory(member=plain)
    b_member = f.MemberFactory(insurer=insurer_b, person=plain.person, branch_number="B0000001")
    f.ReplicaFactory(member=b_member)
    set_peer_setting(institution=city_otsu, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="支援措置")
    return {"victim": victim, "abuser": abuser, "plain": plain, "b": insurer_b, "ko": city_ko, "otsu": city_otsu}


def _lines(world, items, procedures) -> list[InquiryRequest]:
    def req(provider, *, member=None, sim_id=None, item="local_tax", code=False):
        return InquiryRequest(procedure=procedures["kenpo_benefit"], item=items[item], provider=provider,
                              member=member, sim_id=sim_id, nondisclosure_code=code)

    w = world
    return [
        req(w["ko"], member=w["victim"]),
        req(w["otsu"], member=w["victim"], item="resident_record") if _allowed(items, procedures, "resident_record")
        else req(w["otsu"], member=w["victim"]),
        req(w["ko"], sim_id=w["abuser"].sim_id),
        req(w["ko"], member=w["plain"]),
        req(w["ko"], member=w["plain"], code=True),
        req(w["b"], member=w["plain"], item=_b_item(items, procedures)),
        req(w["ko"], sim_id="SIM-NOPE-NOPE"),  # unknown: refused, the others go on
    ]


def _allowed(items, procedures, item_code) -> bool:
    from members import catalogue_cache as catalogue

    return catalogue.allows(procedures["kenpo_benefit"], items[item_code])


def _b_item(items, procedures) -> str:
    from members import catalogue_cache as catalogue

    allowed = [code for code in items if catalogue.allows(procedures["kenpo_benefit"], items[code])]
    return "medical_eligibility" if "medical_eligibility" in allowed else allowed[0]


def _decided(record: ExchangeRecord) -> dict:
    record.refresh_from_db()
    return {name: getattr(record, name) for name in DECIDED}


def test_each_line_is_decided_as_send_inquiry_decides_it(world, alice, items, procedures):
    lines = _lines(world, items, procedures)
    batch = send_inquiries(actor=alice, requests=lines)
    assert [line.sent for line in batch] == [True] * 6 + [False]
    assert batch[-1].error.message_dict == {"sim_id": ["入力された個人識別子に該当する個人が見つかりません。"]}
    for line, request in zip(batch[:-1], lines[:-1], strict=True):
        alone = send_inquiry(actor=alice, request=request)
        assert _decided(line.record) == _decided(alone), request
    coded = [line.record.inquiry_code for line in batch[:-1]]
    assert coded[0] and coded[2] and coded[4] and not coded[3]  # flag, link, by hand; nothing for the plain member
    assert verify_chain().ok


def test_audit_entries_are_those_of_single_inquiries(world, alice, items, procedures):
    lines = _lines(world, items, procedures)[:-1]
    send_inquiries(actor=alice, requests=lines)
    batch_entries = sorted(AuditEntry.objects.values_list("action", flat=True))
    before = AuditEntry.objects.count()
    for request in lines:
        send_inquiry(actor=alice, request=request)
    single_entries = sorted(AuditEntry.objects.order_by("id").values_list("action", flat=True)[before:])
    assert [a for a in batch_entries if a.startswith("inquiry.")] == [a for a in single_entries if a.startswith("inquiry.")]


def test_statements_do_not_grow_with_the_lines(world, alice, items, procedures):
    """Set-based: 5 lines and 30 lines cost the same number of SQL statements (one lock statement, one read each of
    settings, links and 副本, one INSERT of records, the chain head and one INSERT of audit entries)."""
    lines = [line for line in _lines(world, items, procedures)[:-1] if line.member is not None]

    def statements(n: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            send_inquiries(actor=alice, requests=(lines * n)[:n])
        return len(captured.captured_queries)

    assert statements(5) == statements(30)


def test_a_database_error_sends_none_of_the_chunk(world, alice, items, procedures, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr("exchanges.batch.flag_selectors.both_sides_many", broken)
    lines = send_inquiries(actor=alice, requests=_lines(world, items, procedures))
    assert not any(line.sent for line in lines)
    assert {type(line.error).__name__ for line in lines[:-1]} == {"InquiryNotSent"}
    assert not ExchangeRecord.objects.exists()


def _body(world, n: int) -> dict:
    line = {"procedure": "kenpo_benefit", "item": "local_tax", "provider": world["ko"].pk}
    members = [{"member": world["victim"].branch_number}, {"member": world["plain"].branch_number},
               {"sim_id": world["abuser"].sim_id}, {"member": "A9999999"}]
    return {"inquiries": [{**line, **members[i % len(members)]} for i in range(n)]}


def _ndjson(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_the_stream_reports_each_line_progress_and_end(world, alice, monkeypatch):
    monkeypatch.setattr("api.views.batch.CHUNK", 5)
    rows = _ndjson(client_for(alice).post("/api/v1/inquiries/batch/stream/", _body(world, 12), format="json"))
    lines = [r for r in rows if r["type"] == "line"]
    assert [r["index"] for r in lines] == list(range(12))
    assert [r["sent"] for r in lines] == [i % 4 != 3 for i in range(12)]
    assert lines[3]["error"]["fields"] == {"member": ["この被保険者枝番の被保険者は見つかりません。"]}
    assert [(r["done"], r["sent"]) for r in rows if r["type"] == "progress"] == [(5, 4), (10, 8), (12, 9)]
    assert rows[-1] == {"type": "end", "done": 12, "total": 12, "sent": 9, "not_sent": 3}
    assert ExchangeRecord.objects.count() == 9


def test_a_broken_stream_retried_with_its_key_sends_each_line_once(world, alice, monkeypatch):
    monkeypatch.setattr("api.views.batch.CHUNK", 5)
    client = client_for(alice)
    import api.views.batch as batch_view

    real, calls = batch_view.send_inquiries, {"n": 0}

    def dies_on_the_second_chunk(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the client's connection dropped")
        return real(**kwargs)

    monkeypatch.setattr(batch_view, "send_inquiries", dies_on_the_second_chunk)
    body = _body(world, 12)
    response = client.post("/api/v1/inquiries/batch/stream/", body, format="json", HTTP_IDEMPOTENCY_KEY="big-1")
    with pytest.raises(ConnectionError):
        b"".join(response.streaming_content)
    assert ExchangeRecord.objects.count() == 4  # the first chunk committed
    monkeypatch.setattr(batch_view, "send_inquiries", real)
    rows = _ndjson(client.post("/api/v1/inquiries/batch/stream/", body, format="json", HTTP_IDEMPOTENCY_KEY="big-1"))
    assert rows[-1]["sent"] == 9 and ExchangeRecord.objects.count() == 9
    again = _ndjson(client.post("/api/v1/inquiries/batch/stream/", body, format="json", HTTP_IDEMPOTENCY_KEY="big-1"))
    assert again == rows and ExchangeRecord.objects.count() == 9  # a full replay sends nothing


def test_the_json_batch_goes_through_the_set_based_path(world, alice, monkeypatch):
    seen = []
    import flags.selectors as flag_selectors

    real = flag_selectors.both_sides_many

    def spy(**kwargs):
        seen.append(len(kwargs["lines"]))
        return real(**kwargs)

    monkeypatch.setattr(flag_selectors, "both_sides_many", spy)
    response = client_for(alice).post("/api/v1/inquiries/batch/", _body(world, 8), format="json")
    assert response.status_code == 200 and seen == [6]


def test_a_batch_line_about_her_by_a_colleague_needs_the_reason_and_is_recorded(world, dept_a):
    """Issue 17 ⑥ on the batch path: a clerk who is not 担当 of her case gives a reason per line, as for one
    inquiry; the line without one is refused (nothing sent), the line with one is sent and its access recorded."""
    from institutions.models import Role

    colleague = f.StaffFactory(department=dept_a, role=Role.CLERK)
    line = {"procedure": "kenpo_benefit", "item": "local_tax", "provider": world["ko"].pk,
            "member": world["victim"].branch_number}
    plain = {**line, "member": world["plain"].branch_number}
    response = client_for(colleague).post("/api/v1/inquiries/batch/", {"inquiries": [
        line, {**line, "access_reason": "本人から保険料の問合せ"}, plain]}, format="json")
    results = response.json()["results"]
    assert [r["sent"] for r in results] == [False, True, True]
    assert "access_reason" in results[0]["error"]["fields"]
    viewed = AuditEntry.objects.filter(action="protected.viewed", actor=colleague)
    assert [e.after["reason"] for e in viewed] == ["本人から保険料の問合せ"]
