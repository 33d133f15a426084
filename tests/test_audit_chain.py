"""Issue 9 ④: each audit entry carries the hash of the one before it; verify_audit proves the chain or names the
first broken entry. Runs on SQLite and PostgreSQL (where the tampering needs the trigger switched off first)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.chain import GENESIS, verify_chain
from audit.models import AuditEntry
from audit.services import record


def _tamper(sql: str, params: list) -> None:
    """What the table's owner (or a superuser) could do behind the application's back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_append_only")


def _entries(alice, n=3):
    return [record(actor=alice, action="test.act", after={"n": i, "名前": "佐藤"}, message=f"理由{i}") for i in range(n)]


def test_each_entry_links_to_the_one_before(alice):
    first, second, third = _entries(alice)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.entry_hash and third.prev_hash == second.entry_hash
    report = verify_chain()
    assert report.ok and report.checked == 3 and report.head == third.entry_hash


def test_verify_audit_passes_on_an_intact_trail(alice):
    _entries(alice)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "OK: 3 件" in out.getvalue()


def test_verify_audit_names_the_edited_entry(alice):
    _first, edited, _last = _entries(alice)
    _tamper("UPDATE audit_auditentry SET message = %s WHERE id = %s", ["書き換え", edited.pk])
    with pytest.raises(CommandError, match=f"記録ID {edited.pk}（記録の内容がハッシュと一致しません"):
        call_command("verify_audit", stdout=io.StringIO())


def test_verify_audit_names_the_entry_after_a_deleted_one(alice):
    _first, deleted, after = _entries(alice)
    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [deleted.pk])
    with pytest.raises(CommandError, match=f"記録ID {after.pk}（直前の記録のハッシュが一致しません"):
        call_command("verify_audit", stdout=io.StringIO())


def test_verify_audit_catches_a_removed_tail_against_the_kept_head(alice):
    *_, last = _entries(alice)
    head = last.entry_hash
    _tamper("DELETE FROM audit_auditentry WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="末尾の記録の削除"):
        call_command("verify_audit", expect_head=head, stdout=io.StringIO())


def test_an_entry_rehashed_by_the_tamperer_breaks_the_next_link(alice):
    """Recomputing the edited entry's own hash is not enough: the next entry still names the old one."""
    from audit.chain import rehash

    _first, edited, last = _entries(alice)
    _tamper("UPDATE audit_auditentry SET message = %s WHERE id = %s", ["書き換え", edited.pk])
    _tamper("UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s", [rehash(edited.pk), edited.pk])
    report = verify_chain()
    assert report.broken_id == last.pk and AuditEntry.objects.count() == 3


@pytest.mark.parametrize(("condition", "index"), [
    ("institution_id IS NULL", "audit_server_head_idx"),  # the server's own chain
    ("institution_id = NEW.institution_id", "audit_chain_head_idx"),  # an insurer's chain
])
def test_each_chain_head_is_one_index_probe_not_a_sort(requires_postgres, condition, index):
    """The chain trigger reads its chain's head under the chain lock on every append: an index scan from the top,
    never a read and sort of the whole chain (which grows for ever and would lengthen every lock hold). The query is
    checked as it stands in the installed trigger, then planned with sequential scans and sorts priced out."""
    head = f"SELECT entry_hash FROM audit_auditentry WHERE {condition} ORDER BY id DESC LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'nakama_audit_chain'")
        assert head in " ".join(cursor.fetchone()[0].split())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + head.replace("NEW.institution_id", "1"))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Scan Backward using {index}" in plan and "Sort" not in plan, plan
