"""Two audited acts committing at once, on two real PostgreSQL connections: the second links to the first.

The chain lock and the read of the last hash happen in the INSERT's trigger (audit/chain_sql.py). The read must see
what was committed while the statement waited for the lock; a read with the snapshot of the statement's start
would link the second entry to the head before the first and break the chain.
"""

import threading

import pytest
from django.db import connection, transaction

from audit.chain import verify_chain
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
