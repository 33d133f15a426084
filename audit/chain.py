"""The hash chain of the audit trail: each entry carries the hash of the one before it.

Computed in Python (so SQLite works too) from the entry's own fields and the previous hash. Appends are serialised
on PostgreSQL by a transaction-level advisory lock held to commit, so ids, commit order and chain order agree.
An entry changed or deleted afterwards (by the table's owner, who can switch the trigger off) breaks the chain at
that entry or the next one; `python manage.py verify_audit` names the first.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from django.db import connection

GENESIS = "0" * 64
# One 64-bit key of its own: the two-int keys of flags.selectors.lock_person_settings are a separate key space.
CHAIN_LOCK_KEY = 0x4E414B414D41  # "NAKAMA"


def lock_chain() -> None:
    """Serialise audit appends until commit (PostgreSQL). SQLite serialises writers by itself."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def lock_and_last_hash() -> str:
    """Take the chain lock (held to commit) and return the hash to link to, in one statement on PostgreSQL
    (nakama_audit_chain_head, audit/migrations/0004: the read runs after the lock is granted)."""
    if connection.vendor != "postgresql":
        return last_hash()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nakama_audit_chain_head(%s)", [CHAIN_LOCK_KEY])
        return cursor.fetchone()[0] or GENESIS


def last_hash() -> str:
    from audit.models import AuditEntry

    latest = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    return latest or GENESIS


def entry_hash(entry, prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of what the entry says (not its id, which the database assigns at insert)."""
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = {
        "prev": prev_hash,
        "at": at,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "institution": entry.institution_id,
        "request_id": entry.request_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_repr": entry.target_repr,
        "before": entry.before,
        "after": entry.after,
        "message": entry.message,
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head: str
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _entries(chunk_size: int) -> Iterator:
    from audit.models import AuditEntry

    fields = ("id", "at", "actor_id", "actor_name", "institution_id", "request_id", "action", "target_type",
              "target_id", "target_repr", "before", "after", "message", "prev_hash", "entry_hash")
    return AuditEntry.objects.order_by("id").only(*fields).iterator(chunk_size=chunk_size)


def verify_chain(*, using_chunk_size: int = 2000) -> ChainReport:
    """Walk the whole trail in id order; stop at the first entry whose links or hash do not hold."""
    expected_prev, checked = GENESIS, 0
    for entry in _entries(using_chunk_size):
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, expected_prev, entry.id, "直前の記録のハッシュが一致しません（前の記録の削除・変更）")
        if entry.entry_hash != entry_hash(entry, entry.prev_hash):
            return ChainReport(checked, expected_prev, entry.id, "記録の内容がハッシュと一致しません（記録の変更）")
        expected_prev, checked = entry.entry_hash, checked + 1
    return ChainReport(checked, expected_prev)
