"""Two clerks approving the same queued inquiry at once, on two real PostgreSQL connections: it is sent once."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEntry
from exchanges import manual_responses
from exchanges.models import ExchangeRecord, ExchangeState
from exchanges.services import approve_manual_response, receive_inquiry
from flags.policy import SettingKind
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure

ALREADY = "この照会はすでに処理されています（状態: 提供済）。"


@pytest.fixture(autouse=True)
def _catalogue(db):
    """A transactional test ends with a flush, which empties the catalogue the data migration wrote."""
    ensure_catalogue(InfoItem, Procedure)


@pytest.fixture
def queued(victim, city_otsu, flag, procedures, items):
    flag(victim, SettingKind.NO_AUTO_RESPONSE)
    return receive_inquiry(
        inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )


def _approver(record, actor, results, *, start=None, code=False):
    def run():
        try:
            if start is not None:
                start.wait(timeout=30)
            approve_manual_response(actor=actor, record=record, nondisclosure_code=code)
            results[actor.username] = "sent"
        except ValidationError as exc:
            results[actor.username] = exc.messages[0]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[actor.username] = repr(exc)
        finally:
            connection.close()  # this thread's own connection

    return threading.Thread(target=run, name=actor.username)


def _assert_sent_once(record, results):
    assert sorted(results.values()) == sorted(["sent", ALREADY]), results
    record = ExchangeRecord.objects.get(pk=record.pk)
    assert record.state == ExchangeState.PROVIDED
    assert AuditEntry.objects.filter(action="manual_response.approved", target_id=str(record.pk)).count() == 1
    return record


@pytest.mark.django_db(transaction=True)
def test_two_clerks_approving_the_same_inquiry_at_once_send_it_once(requires_postgres, queued, alice, sam):
    start, results = threading.Barrier(2), {}
    threads = [_approver(queued, alice, results, start=start), _approver(queued, sam, results, start=start)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    record = _assert_sent_once(queued, results)
    winner = alice if results["alice"] == "sent" else sam
    assert record.responded_by == winner


@pytest.mark.django_db(transaction=True)
def test_second_approval_waits_for_the_first_and_is_told_already_processed(
    requires_postgres, queued, alice, sam, monkeypatch
):
    """Deterministic interleaving: alice holds the row inside her transaction; sam's approval starts then. Without
    the row lock sam would read 手動応答待ち, send it a second time and overwrite alice's answer."""
    alice_inside, release, results = threading.Event(), threading.Event(), {}
    real_audit = manual_responses.audit

    def audit_holding_alice(**kwargs):
        if threading.current_thread().name == "alice":
            alice_inside.set()
            release.wait(timeout=30)
        return real_audit(**kwargs)

    monkeypatch.setattr(manual_responses, "audit", audit_holding_alice)
    first = _approver(queued, alice, results)
    second = _approver(queued, sam, results, code=True)
    first.start()
    assert alice_inside.wait(timeout=30)
    second.start()
    waited = _wait_until_a_backend_waits_for_a_lock()
    release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert waited, "sam's approval never waited for alice's row lock"
    assert results == {"alice": "sent", "sam": ALREADY}
    record = _assert_sent_once(queued, results)
    assert record.responded_by == alice and not record.provision_code  # sam's code request never applied


def _wait_until_a_backend_waits_for_a_lock() -> bool:
    """Poll pg_stat_activity (bounded) until another backend of this database is blocked on a lock."""
    with connection.cursor() as cursor:
        for _ in range(300):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False
