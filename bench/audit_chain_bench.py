#!/usr/bin/env python
"""Benchmark of the audit trail's hash chain (run by hand; not part of the test suite).

Point DATABASE_URL at a scratch database (it is migrated and filled), then:

    python bench/audit_chain_bench.py prepare --entries 100000   # append N chained entries (bulk, as record() links them)
    python bench/audit_chain_bench.py verify                     # time verify_chain over the whole trail
    python bench/audit_chain_bench.py append --entries 1000      # time N record() calls, one transaction each

On PostgreSQL `prepare` switches the append-only trigger off for its own bulk insert only (superuser), to be fast.
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
from django.db import transaction
from django.utils import timezone

from audit.chain import entry_hash, last_hash, lock_chain, verify_chain
from audit.models import AuditEntry
from audit.services import record


def prepare(n: int) -> None:
    call_command("migrate", verbosity=0)
    batch, prev = [], None
    with transaction.atomic():
        lock_chain()
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


def verify() -> None:
    started, cpu = time.perf_counter(), time.process_time()
    report = verify_chain()
    print(f"entries: {report.checked} ok: {report.ok} wall s: {time.perf_counter() - started:.2f} "
          f"cpu s: {time.process_time() - cpu:.2f}")


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
