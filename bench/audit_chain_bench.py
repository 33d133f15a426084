#!/usr/bin/env python
"""Benchmark of the audit trail's hash chain (run by hand; not part of the test suite).

Point DATABASE_URL at a scratch database (it is migrated and filled), then:

    python bench/audit_chain_bench.py prepare --entries 100000   # append N chained entries (bulk, as record() links them)
    python bench/audit_chain_bench.py verify                     # time verify_chain over the whole trail, beside
                                                                 # a plain SELECT of the same rows and SHA-256 in SQL
    python bench/audit_chain_bench.py append --entries 1000      # time N record() calls, one transaction each

On PostgreSQL `prepare` inserts with one INSERT … SELECT per batch: the chain trigger links and hashes every row
(audit/chain_sql.py), as it does the app's entries. On SQLite it links in Python, as the demo does.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakama.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import entry_hash, hashed_in_database, last_hash, verify_chain
from audit.chain_sql import SELECT_ROWS
from audit.models import AuditEntry
from audit.services import record

PG_BATCH = """
INSERT INTO audit_auditentry (at, actor_name, request_id, action, target_type, target_id, target_repr, after, message,
                              prev_hash, entry_hash)
SELECT clock_timestamp(), 'ベンチ 担当', '', 'protected.viewed', 'members.Member', i::text, '佐藤 花子' || i,
       jsonb_build_object('rows', i, 'filters', jsonb_build_object('kana', 'サトウ')), '被保険者詳細', '', ''
FROM generate_series(%s, %s) AS i
"""


def prepare(n: int) -> None:
    call_command("migrate", verbosity=0)
    if hashed_in_database():
        for start in range(0, n, 50_000):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(PG_BATCH, [start, min(n, start + 50_000) - 1])
        print(f"entries: {AuditEntry.objects.count()}")
        return
    batch, prev = [], None
    with transaction.atomic():
        prev = last_hash()
        for i in range(n):
            entry = AuditEntry(at=timezone.now(), actor_name="ベンチ 担当", action="protected.viewed",
                               target_type="members.Member", target_id=str(i), target_repr=f"佐藤 花子{i}",
                               after={"rows": i, "filters": {"kana": "サトウ"}}, message="被保険者詳細")
            entry.prev_hash, entry.entry_hash = prev, entry_hash(entry, prev)
            prev = entry.entry_hash
            batch.append(entry)
            if len(batch) == 5000:
                AuditEntry.objects.bulk_create(batch)
                batch = []
        AuditEntry.objects.bulk_create(batch)
    print(f"entries: {AuditEntry.objects.count()}")


def _timed(label: str, work) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    print(f"{label}: {result} wall s: {time.perf_counter() - started:.2f} client cpu s: {time.process_time() - cpu:.2f}")


def _select_only() -> int:
    """The limit: the same keyset reads of the same columns as verify, without hashing."""
    last_id, rows = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(SELECT_ROWS + " LIMIT %s", [last_id, 10000])
            chunk = cursor.fetchall()
        if not chunk:
            return rows
        rows, last_id = rows + len(chunk), chunk[-1][0]


def _sql_sha256() -> int:
    """Another limit: the database hashing every row itself (what a trusted in-database check would cost)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(nakama_audit_hash(e)) FROM audit_auditentry e")
        return cursor.fetchone()[0]


def verify() -> None:
    _timed("verify_chain (ok, entries)", lambda: (lambda r: (r.ok, r.checked))(verify_chain()))
    if hashed_in_database():
        _timed("limit: SELECT of the same rows (rows)", _select_only)
        _timed("limit: sha256 in SQL of every row (rows)", _sql_sha256)


def append(n: int) -> None:
    started = time.perf_counter()
    for i in range(n):
        record(actor=None, action="protected.viewed", message=f"bench {i}")
    elapsed = time.perf_counter() - started
    print(f"appended: {n} wall s: {elapsed:.2f} per entry ms: {elapsed / n * 1000:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "verify", "append"])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    {"prepare": lambda: prepare(args.entries), "verify": verify, "append": lambda: append(args.entries)}[args.step]()
