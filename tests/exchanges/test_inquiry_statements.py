"""An inquiry in a handful of statements (issue 12 point 2): the API POST and send_inquiry are pinned to a fixed
number of executed SQL strings (round trips; the flag check's one holds two statements), so a regression (a second
settings read, a 副本 read of its own, an INSERT then UPDATE, a catalogue query, a second token lookup, a savepoint or
chain lock per audit entry) fails here.

Before issue 12 point 2: API POST 26 statements here (24 in production: the test's outer transaction turns
send_inquiry's atomic into a SAVEPOINT/RELEASE pair), send_inquiry to another tenant insurer 20.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.chain import verify_chain
from audit.models import AuditEntry
from exchanges.models import ExchangeRecord
from exchanges.services import InquiryRequest, send_inquiry
from tests.api.conftest import client_for

# token+user+institution+department | SAVEPOINT | member+person | does it touch anyone behind the glass |
# both settings locks; settings+links+副本 (one round trip, two statements) | INSERT record | INSERT audit (its
# trigger takes the chain lock and links it, audit/chain_sql.py) | RELEASE.
# The pair is the Idempotency-Key transaction (the answer is built before the commit, issue 9 point 5); in
# production it is the request's BEGIN/COMMIT. send_inquiry opens no savepoint of its own inside it (savepoint=False:
# that transaction rolls back whenever the view raises, so the send still fails closed).
# Issue 17 added two before sending: is she behind the glass (open case or setting, one query) and is the subject a
# linked person (one query): who must give a reason, and whose access to record. Issue 18 took one away (the chain
# head is read by the audit table's insert trigger). Issue 20: both questions in one prepared statement
# (flags.access_log.touches_protected; only a person it touches is read again in full), no inner savepoint pair.
API_POST = 8
# SAVEPOINT | both settings locks; settings+links+副本 | INSERT record | one INSERT of both entries (chained by its
# trigger) | RELEASE
SEND_TO_TENANT = 5


def _body(provider, victim):
    return {"procedure": "kenpo_benefit", "item": "local_tax", "provider": provider.pk, "member": victim.branch_number}


def test_inquiry_post_is_eight_round_trips_with_warm_catalogue(requires_postgres, alice, victim, city_ko):
    client = client_for(alice)
    assert client.post("/api/v1/inquiries/", _body(city_ko, victim), format="json").status_code == 201  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/inquiries/", _body(city_ko, victim), format="json")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == API_POST, "\n".join(sql)
    assert not any(s.startswith("UPDATE") for s in sql), "the record is written once, with its answer"
    # Both settings locks, then (a statement of its own, so it reads after the locks are granted) settings, links and
    # the provider's 副本: the flag check adds no round trip of its own.
    # The read is a prepared statement (prepared by the warm-up request on this connection).
    flag_check = [s for s in sql if "pg_advisory_xact_lock" in s]
    assert len(flag_check) == 1 and "; EXECUTE nakama_flag_check_replica_" in flag_check[0]
    assert not any("members_replica" in s or "nakama_latest_replica" in s for s in sql if s not in flag_check)
    # The access check (issue 17) is one prepared statement before the transaction of the send.
    assert [s for s in sql if "nakama_inquiry_touches" in s] == [sql[3]]
    # The global chain lock is taken as late as possible: by the audit INSERT, the last statement before commit.
    assert sql[-2].startswith('INSERT INTO "audit_auditentry"') and "pg_advisory" not in sql[-3]
    assert sql[-3].startswith('INSERT INTO "exchanges_exchangerecord"')
    assert not any(s.startswith("SAVEPOINT") for s in sql[2:]), "one transaction: the Idempotency-Key's"
    assert response.json()["subject_branch_number"] == victim.branch_number


def test_send_inquiry_to_another_tenant_is_five_round_trips(requires_postgres, alice, victim, insurer_b, procedures,
                                                             items):
    request = InquiryRequest(procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=insurer_b,
                             member=victim)
    send_inquiry(actor=alice, request=request)  # warm the catalogue
    with CaptureQueriesContext(connection) as captured:
        record = send_inquiry(actor=alice, request=request)
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == SEND_TO_TENANT, "\n".join(sql)
    # Both entries, each in its insurer's chain, written by the one INSERT (the last work before commit).
    entries = {e.action: e for e in AuditEntry.objects.filter(target_id=str(record.pk))}
    assert {a: e.institution_id for a, e in entries.items()} == {"inquiry.sent": alice.institution_id,
                                                                 "inquiry.received": insurer_b.pk}
    assert verify_chain().ok
    assert ExchangeRecord.objects.get(pk=record.pk).state == record.state


def test_a_catalogue_change_in_the_process_reaches_the_next_inquiry(alice, victim, city_ko, procedures, items):
    """The catalogue is cached in process; a save clears it, so a renamed institution or a procedure that no longer
    allows an item is seen by the very next inquiry."""
    client = client_for(alice)
    assert client.post("/api/v1/inquiries/", _body(city_ko, victim), format="json").status_code == 201  # warm
    city_ko.name = "甲市（合併後）"
    city_ko.save()
    sent = client.post("/api/v1/inquiries/", _body(city_ko, victim), format="json")
    assert sent.status_code == 201 and sent.json()["provider_display"] == "甲市（合併後）"
    procedures["kenpo_benefit"].items.remove(items["local_tax"])
    refused = client.post("/api/v1/inquiries/", _body(city_ko, victim), format="json")
    assert refused.status_code == 400 and "item" in refused.json()["fields"]
