"""Two audited acts committing at once, on two real PostgreSQL connections: the second links to the first.

The chain lock and the read of the last hash happen in the INSERT's trigger (audit/chain_sql.py). The read must see
what was committed while the statement waited for the lock; a read with the snapshot of the statement's start
would link the second entry to the head before the first and break the chain.
"""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from audit.chain import verify_chain
from audit.chain_sql import CHAIN_LOCK_BASE
from audit.models import AuditEntry
from audit.services import record
from tests.exchanges.test_concurrency import _wait_until_a_backend_waits_for_a_lock


def _actor_thread(name, *, inside=None, release=None, errors, institution=None):
    def run():
        try:
            with transaction.atomic():
                record(actor=None, action="inquiry.sent", message=name, institution=institution)
                if inside is not None:
                    inside.set()
                    release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    return threading.Thread(target=run, name=name)


@pytest.mark.django_db(transaction=True)
def test_an_entry_appended_while_another_commits_links_to_that_entry(requires_postgres):
    record(actor=None, action="inquiry.sent", message="before")
    inside, release, errors = threading.Event(), threading.Event(), []
    first = _actor_thread("first", inside=inside, release=release, errors=errors)
    second = _actor_thread("second", errors=errors)
    first.start()
    assert inside.wait(timeout=30)
    second.start()
    waited = _wait_until_a_backend_waits_for_a_lock()  # second waits for the chain lock inside its one statement
    release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not errors, errors
    assert waited, "the second append never waited for the chain lock"
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.message for e in entries] == ["before", "first", "second"]
    assert entries[2].prev_hash == entries[1].entry_hash
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_writers_of_two_insurers_do_not_wait_for_each_other(requires_postgres, insurer_a, insurer_b):
    """Issue 20 point 3: one chain per institution, a lock per chain. While insurer A's act holds its chain open,
    insurer B's act appends and commits; A's own second writer would wait (the test above)."""
    record(actor=None, action="inquiry.sent", message="before", institution=insurer_b)
    inside, release, errors = threading.Event(), threading.Event(), []
    first = _actor_thread("a", inside=inside, release=release, errors=errors, institution=insurer_a)
    second = _actor_thread("b", errors=errors, institution=insurer_b)
    first.start()
    assert inside.wait(timeout=30)
    second.start()
    second.join(timeout=60)
    finished_while_a_held_its_chain = not second.is_alive() and not release.is_set()
    release.set()
    first.join(timeout=60)
    assert not errors, errors
    assert finished_while_a_held_its_chain
    b_entries = list(AuditEntry.objects.filter(institution=insurer_b).order_by("id"))
    assert [e.message for e in b_entries] == ["before", "b"] and b_entries[1].prev_hash == b_entries[0].entry_hash
    report = verify_chain()
    assert report.ok and set(report.heads) == {insurer_a.pk, insurer_b.pk}


def _chain_lock_holders(institution_id: int) -> list[tuple[int, bool]]:
    """(pid, granted) of every backend holding or awaiting the chain lock of an institution (a bigint advisory key is
    classid = high half, objid = low half, objsubid 1 in pg_locks)."""
    key = CHAIN_LOCK_BASE + institution_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 "
                       "AND classid::bigint = %s AND objid::bigint = %s", [key >> 32, key & 0xFFFFFFFF])
        return cursor.fetchall()


def _audit_without_waiting(**kwargs) -> None:
    """record() in its own transaction that may not wait for any lock: lock_timeout makes a wait an error at once
    (no timing: a writer that would queue behind the holder fails, one that does not commits)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1ms'")
        record(actor=None, action="inquiry.sent", **kwargs)


@pytest.mark.django_db(transaction=True)
def test_an_insurer_holding_its_chain_lock_blocks_only_its_own_chain(requires_postgres, insurer_a, insurer_b):
    """Issue 20 point 3, read from pg_locks: while insurer A's act holds A's chain lock uncommitted (seen granted to
    another backend), insurer B's audited write and the server's own commit without waiting for any lock, and a
    second write for A cannot (it would queue: lock_timeout refuses it), so the check would catch a shared lock."""
    inside, release, errors = threading.Event(), threading.Event(), []
    holder = _actor_thread("a-holds", inside=inside, release=release, errors=errors, institution=insurer_a)
    holder.start()
    try:
        assert inside.wait(timeout=30)
        holders = _chain_lock_holders(insurer_a.pk)
        assert len(holders) == 1 and holders[0][1], holders
        _audit_without_waiting(institution=insurer_b, message="b while a holds")
        _audit_without_waiting(message="server while a holds")
        with pytest.raises(OperationalError, match="lock timeout"):
            _audit_without_waiting(institution=insurer_a, message="a again")
        assert _chain_lock_holders(insurer_b.pk) == []  # B's lock went with its commit
    finally:
        release.set()
        holder.join(timeout=60)
    assert not errors, errors
    assert list(AuditEntry.objects.order_by("id").values_list("message", flat=True)) == [
        "a-holds", "b while a holds", "server while a holds"]  # ids are drawn under each chain's own lock
    report = verify_chain()
    assert report.ok and set(report.heads) == {insurer_a.pk, insurer_b.pk, 0}
