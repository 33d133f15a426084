#!/usr/bin/env python
"""Benchmark of the settings CSV export (run by hand; not part of the test suite).

Point DATABASE_URL at a scratch database (it is migrated and filled), then:

    python bench/csv_export_bench.py prepare --rows 1000000   # insurer, supervisor, 10,000 members, N settings
    python bench/csv_export_bench.py export --encoding cp932  # stream the whole file to /dev/null
    python bench/csv_export_bench.py export --encoding utf-8-sig --trace   # also the tracemalloc peak

`export` prints one line: rows, bytes, seconds, tracemalloc peak (with --trace) and the process's peak RSS. Time
the whole process from outside too, e.g. `/usr/bin/time -v python bench/csv_export_bench.py export`.
"""

import argparse
import datetime
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakama.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from flagcsv.export import CsvExport, Encoding, settings_for_export
from flags.models import Setting
from flags.policy import SettingKind
from institutions.insurer_number import check_digit
from institutions.models import Department, Institution, InstitutionKind, Role, Staff
from members.models import Member, Person

BENCH_USER = "bench-supervisor"
MEMBERS = 10_000


def prepare(rows: int) -> None:
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        old = Staff.objects.filter(username=BENCH_USER).first()
        if old:
            insurer = old.institution
            Setting.objects.filter(institution=insurer).delete()
            old.delete()
        else:
            body = "0627990"
            insurer = Institution.objects.filter(insurer_number=body + str(check_digit(body))).first()
            if insurer is None:
                insurer = Institution.objects.create(
                    name="ベンチ健康保険組合", kind=InstitutionKind.HEALTH_INSURANCE_SOCIETY,
                    insurer_number=body + str(check_digit(body)), is_tenant=True,
                )
        dept, _ = Department.objects.get_or_create(institution=insurer, name="業務部")
        Staff.objects.create(
            username=BENCH_USER, institution=insurer, department=dept, role=Role.SUPERVISOR, display_name="ベンチ 責任者"
        )
        if not Member.objects.filter(insurer=insurer).exists():
            # Every 500th member has 𠮷 in the name, so the cp932 path replaces and reports some rows.
            persons = Person.objects.bulk_create(
                Person(sim_id=f"SIM-BNCH-{i:06d}", name=("𠮷田 " if i % 500 == 0 else "佐藤 ") + f"{i}", kana="ベンチ")
                for i in range(MEMBERS)
            )
            Member.objects.bulk_create(
                Member(
                    insurer=insurer, branch_number=f"{i:08d}", person=p, name=p.name, kana="ベンチ",
                    birth_date=datetime.date(1980, 1, 1), acquired_on=datetime.date(2020, 4, 1),
                )
                for i, p in enumerate(persons)
            )
        members = list(Member.objects.filter(insurer=insurer).order_by("id")[:MEMBERS])
        start = timezone.now() - datetime.timedelta(days=3650)
        seed = min(rows, len(members))
        Setting.objects.bulk_create(
            Setting(
                institution=insurer, member=m, person_id=m.person_id, kind=SettingKind.NON_DISCLOSURE,
                reason="本人の申出（ケース①）", set_at=start + datetime.timedelta(minutes=i), set_by_name="ベンチ 担当",
                cleared_at=start + datetime.timedelta(minutes=i, days=30), cleared_by_name="ベンチ 担当",
                clear_reason="カード停止の完了を確認",
            )
            for i, m in enumerate(members[:seed])
        )
        # Copy inside the database (cleared rows only, so no uniqueness rule is touched).
        table = Setting._meta.db_table
        columns = ", ".join(f.column for f in Setting._meta.concrete_fields if not f.primary_key)
        made = seed
        with connection.cursor() as cursor:
            while made < rows:
                n = min(made, rows - made)
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} "
                    "WHERE institution_id = %s ORDER BY id LIMIT %s",
                    [insurer.pk, n],
                )
                made += n
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Setting._meta.db_table}")
    print(f"prepared {Setting.objects.filter(institution=insurer).count():,} settings for {BENCH_USER}")


def export(encoding: str, trace: bool) -> None:
    user = Staff.objects.get(username=BENCH_USER)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    export = CsvExport(settings_for_export(user), encoding)
    size = 0
    with open(os.devnull, "wb") as sink:
        for piece in export.chunks():
            size += len(piece)
            sink.write(piece)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"encoding={encoding} rows={export.rows} bytes={size} replaced_rows={export.replaced_count} "
        f"seconds={seconds:.2f} tracemalloc_peak={peak if peak is not None else '-'} max_rss_kib={rss_kib}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--rows", type=int, default=100_000)
    e = sub.add_parser("export")
    e.add_argument("--encoding", choices=[Encoding.UTF8_BOM, Encoding.CP932], default=Encoding.UTF8_BOM)
    e.add_argument("--trace", action="store_true", help="measure the tracemalloc peak (slows the run)")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.rows)
    else:
        export(args.encoding, args.trace)


if __name__ == "__main__":
    main()
