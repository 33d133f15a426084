"""The hash chain of the audit trail: each entry carries the hash of the one before it.

PostgreSQL: one chain per institution plus one for the server's own events (issue 20 point 3). The database links
and hashes every entry itself, in a BEFORE INSERT trigger that takes the entry's chain lock (held to commit) and
draws the id under it (audit/chain_sql.py), so the entries it writes for direct changes of the
protections' tables (audit/guarded.py) join the same chain as the app's. Verification recomputes every hash here in
Python from the stored fields (a function in the database could be replaced by its owner; this code cannot).
SQLite (the demo): the app computes the chain in Python (canonical JSON, v1) and SQLite serialises writers.

An entry changed or deleted afterwards (by the table's owner, who can switch the trigger off) breaks the chain at
that entry or the next one; `python manage.py verify_audit` names the first. A rewrite that re-hashes the whole
tail is caught against the signed anchor (audit/anchor.py).
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC

from django.db import connection

from audit.chain_sql import CHAIN_LOCK_KEY, GENESIS, SELECT_ROWS, SERVER_CHAIN, canonical_hash

__all__ = ["CHAIN_LOCK_KEY", "GENESIS", "ChainReport", "hashed_in_database", "verify_chain"]


def hashed_in_database() -> bool:
    return connection.vendor == "postgresql"


def last_hash() -> str:
    from audit.models import AuditEntry

    latest = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    return latest or GENESIS


def entry_hash(entry, prev_hash: str) -> str:
    """v1 (SQLite): SHA-256 over a canonical JSON of what the entry says (not its id, assigned at insert)."""
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
    head_id: int | None = None
    # PostgreSQL: the head (id, hash) of every chain, by institution id (0: the server's own chain).
    heads: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken_id is None


BROKEN_LINK = "直前の記録のハッシュが一致しません（前の記録の削除・変更）"
BROKEN_HASH = "記録の内容がハッシュと一致しません（記録の変更）"


def _legacy_rows(model, chunk_size: int) -> Iterator:
    fields = ("id", "at", "actor_id", "actor_name", "institution_id", "request_id", "action", "target_type",
              "target_id", "target_repr", "before", "after", "message", "prev_hash", "entry_hash")
    return model.objects.order_by("id").only(*fields).iterator(chunk_size=chunk_size)


def verify_legacy_chain(model=None, *, chunk_size: int = 2000) -> ChainReport:
    """v1, computed in Python over Django's decoded fields (SQLite; PostgreSQL before the chain moved into it)."""
    if model is None:
        from audit.models import AuditEntry as model
    expected_prev, checked, head_id = GENESIS, 0, None
    for entry in _legacy_rows(model, chunk_size):
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, expected_prev, entry.id, BROKEN_LINK, head_id)
        if entry.entry_hash != entry_hash(entry, entry.prev_hash):
            return ChainReport(checked, expected_prev, entry.id, BROKEN_HASH, head_id)
        expected_prev, checked, head_id = entry.entry_hash, checked + 1, entry.id
    return ChainReport(checked, expected_prev, head_id=head_id)


def _database_rows(chunk_size: int) -> Iterator[tuple]:
    """(id, prev_hash, entry_hash, *fields in canonical order) in id order, read in chunks by keyset."""
    last_id = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(SELECT_ROWS + " LIMIT %s", [last_id, chunk_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0]


def verify_database_chain(*, chunk_size: int = 10000, per_chain: bool = True) -> ChainReport:
    """v2 (PostgreSQL): every hash recomputed in Python from the stored text of each field, each entry linked to
    the one before it in its institution's chain (per_chain=False: the one chain of audit/0005)."""
    heads: dict[int, tuple[int, str]] = {}  # chain -> (id, hash) of its last entry
    checked, last = 0, (None, GENESIS)
    for entry_id, chain, prev_hash, stored_hash, *values in _database_rows(chunk_size):
        key = chain if per_chain else SERVER_CHAIN
        expected_prev = heads.get(key, (None, GENESIS))[1]
        if prev_hash != expected_prev:
            return ChainReport(checked, last[1], entry_id, BROKEN_LINK, last[0], heads)
        if stored_hash != canonical_hash(prev_hash, *values):
            return ChainReport(checked, last[1], entry_id, BROKEN_HASH, last[0], heads)
        heads[key] = last = (entry_id, stored_hash)
        checked += 1
    return ChainReport(checked, last[1], head_id=last[0], heads=heads)


def verify_chain(*, chunk_size: int | None = None) -> ChainReport:
    """Walk the whole trail in id order; stop at the first entry whose links or hash do not hold."""
    if hashed_in_database():
        return verify_database_chain(chunk_size=chunk_size or 10000)
    return verify_legacy_chain(chunk_size=chunk_size or 2000)


def rehash(entry_id: int) -> str:
    """The hash the entry's stored fields give (what a tamperer who re-hashes would write)."""
    if hashed_in_database():
        with connection.cursor() as cursor:
            cursor.execute(SELECT_ROWS.replace("id > %s", "id = %s"), [entry_id])
            _id, _chain, prev_hash, _stored, *values = cursor.fetchone()
        return canonical_hash(prev_hash, *values)
    from audit.models import AuditEntry

    entry = AuditEntry.objects.get(pk=entry_id)
    return entry_hash(entry, entry.prev_hash)
