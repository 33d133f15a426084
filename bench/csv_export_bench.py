#!/usr/bin/env python
"""Benchmark of the settings CSV export beside COPY of the same SELECT (run by hand; not part of the test suite).

Point DATABASE_URL at a scratch PostgreSQL database (it is migrated and filled), then:

    python bench/csv_export_bench.py prepare --rows 1000000   # one insurer, N members, N settings (server-side SQL)
    python bench/csv_export_bench.py compare --rounds 5       # interleaved: COPY, then the export, round by round
    python bench/csv_export_bench.py export --encoding cp932  # one export to /dev/null (time it from outside)
    python bench/csv_export_bench.py copy                     # COPY (same SELECT) TO STDOUT CSV to /dev/null
    python bench/csv_export_bench.py importexport             # the peer: django-import-export's default export

Each line printed gives wall seconds, the client's CPU seconds, the PostgreSQL backend's CPU seconds (from
/proc, same machine), the first byte and the first data row after the start, and the process's peak RSS.
Time whole processes from outside too: `/usr/bin/time -v python bench/csv_export_bench.py export`.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakama.settings")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction

from flagcsv import sql
from flagcsv.export import CsvExport, Encoding, Engine, settings_for_export
from flags.models import Setting
from institutions.insurer_number import check_digit
from institutions.models import Department, Institution, InstitutionKind, Role, Staff

BENCH_USER = "bench-supervisor"
INSURER_BODY = "0627990"  # 保険者番号 with a leading zero


def prepare(rows: int) -> None:
    """N persons, N members (枝番 00000001…) and N settings of one insurer, generated inside PostgreSQL.
    One in 500 names has 𠮷 (cp932 replaces it); reasons include commas, quotes, line breaks and formula starts;
    dates spread over 1980-2026 so 昭和, 平成 and 令和 all appear."""
    call_command("migrate", verbosity=0)
    number = INSURER_BODY + str(check_digit(INSURER_BODY))
    with transaction.atomic():
        insurer, _ = Institution.objects.get_or_create(
            insurer_number=number,
            defaults={"name": "ベンチ健康保険組合", "kind": InstitutionKind.HEALTH_INSURANCE_SOCIETY, "is_tenant": True},
        )
        dept, _ = Department.objects.get_or_create(institution=insurer, name="業務部")
        Staff.objects.update_or_create(
            username=BENCH_USER,
            defaults={"institution": insurer, "department": dept, "role": Role.SUPERVISOR,
                      "display_name": "ベンチ 責任者"},
        )
    with connection.cursor() as c:
        c.execute("DELETE FROM flags_setting WHERE institution_id = %s", [insurer.pk])
        c.execute("DELETE FROM members_member WHERE insurer_id = %s", [insurer.pk])
        c.execute("DELETE FROM members_person WHERE sim_id LIKE 'SIM-BNCH-%%'")
        started = time.perf_counter()
        c.execute(
            "INSERT INTO members_person (sim_id, name, kana, birth_date) "
            "SELECT 'SIM-BNCH-' || lpad(i::text, 8, '0'), "
            "CASE WHEN i %% 500 = 0 THEN '𠮷田 ' ELSE '佐藤 ' END || i, 'ベンチ', DATE '1980-01-01' "
            "FROM generate_series(1, %s) AS i",
            [rows],
        )
        c.execute(
            "INSERT INTO members_member (insurer_id, branch_number, person_id, name, kana, birth_date, symbol_number, "
            "acquired_on) SELECT %s, lpad(substr(p.sim_id, 10)::int::text, 8, '0'), p.id, p.name, p.kana, p.birth_date, "
            "CASE WHEN p.id %% 2 = 0 THEN '0012-' || p.id ELSE '記号12 番号' || p.id END, DATE '2020-04-01' "
            "FROM members_person p WHERE p.sim_id LIKE 'SIM-BNCH-%%'",
            [insurer.pk],
        )
        c.execute(
            "INSERT INTO flags_setting (institution_id, member_id, person_id, kind, source, reason, set_at, "
            "set_by_name, cleared_at, cleared_by_name, clear_requested_by_name, clear_reason) "
            "SELECT m.insurer_id, m.id, m.person_id, "
            "(ARRAY['non_disclosure', 'no_self_info', 'no_auto_response'])[1 + m.id %% 3], 'console', "
            "CASE WHEN m.id %% 1000 = 0 THEN '=HYPERLINK(\"http://example.invalid\")' "
            "WHEN m.id %% 97 = 0 THEN E'本人の申出\r\n「至急」, \"窓口\"' ELSE '本人の申出（ケース①）' END, "
            "TIMESTAMPTZ '1980-01-01 09:00+09' + (m.id %% 16800) * INTERVAL '1 day' + (m.id %% 86400) * INTERVAL '1 second', "
            "'ベンチ 担当', "
            "CASE WHEN m.id %% 4 = 0 THEN TIMESTAMPTZ '2026-01-01 09:00+09' + (m.id %% 300) * INTERVAL '1 day' END, "
            "CASE WHEN m.id %% 4 = 0 THEN 'ベンチ 責任者' ELSE '' END, "
            "CASE WHEN m.id %% 4 = 0 THEN 'ベンチ 担当' ELSE '' END, "
            "CASE WHEN m.id %% 4 = 0 THEN 'カード停止の完了を確認' ELSE '' END "
            "FROM members_member m WHERE m.insurer_id = %s",
            [insurer.pk],
        )
        c.execute("ANALYZE members_person; ANALYZE members_member; ANALYZE flags_setting")
    count = Setting.objects.filter(institution=insurer).count()
    print(f"prepared {count:,} settings for {BENCH_USER} in {time.perf_counter() - started:.0f} s")


def _user() -> Staff:
    return Staff.objects.get(username=BENCH_USER)


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (/proc, same machine)."""
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Sink:
    """/dev/null that notes when the first piece arrives and when the first data row does (the export's first
    piece is the header alone; COPY's first piece is a row)."""

    def __init__(self, started: float, header_first: bool):
        self.started, self.size, self.pieces, self.first, self.first_data = started, 0, 0, None, None
        self.header_first = header_first
        self.out = open(os.devnull, "wb")  # noqa: SIM115

    def write(self, data) -> None:
        now = time.perf_counter() - self.started
        self.pieces += 1
        if self.first is None:
            self.first = now
        if self.first_data is None and self.pieces == (2 if self.header_first else 1):
            self.first_data = now
        self.size += len(data)
        self.out.write(data)


def measure_copy(select: str) -> dict:
    """COPY (SELECT …) TO STDOUT WITH CSV of the export's own SELECT (`same`) or of its plain columns (`plain`)."""
    rows = settings_for_export(_user())
    if select == "same":
        statement, params = sql.lines_sql(rows)
    else:
        statement, params = rows.query.sql_with_params()
    backend, cpu, started = _backend_cpu(), _cpu(), time.perf_counter()
    sink = _Sink(started, header_first=False)
    with connection.cursor() as c:
        query = c.mogrify(statement, params).decode()
        c.copy_expert(f"COPY ({query}) TO STDOUT WITH CSV", sink)
    wall = time.perf_counter() - started
    return {"path": f"COPY {select}", "wall": wall, "cpu": _cpu() - cpu, "backend": _backend_cpu() - backend,
            "first": sink.first, "first_data": sink.first_data, "bytes": sink.size}


def measure_export(encoding: str, engine: str) -> dict:
    export = CsvExport(settings_for_export(_user()), encoding, engine=engine)
    backend, cpu, started = _backend_cpu(), _cpu(), time.perf_counter()
    sink = _Sink(started, header_first=True)
    for piece in export.chunks():
        sink.write(piece)
    wall = time.perf_counter() - started
    return {"path": f"export {engine} {encoding}", "wall": wall, "cpu": _cpu() - cpu,
            "backend": _backend_cpu() - backend, "first": sink.first, "first_data": sink.first_data,
            "bytes": sink.size, "rows": export.rows, "replaced": export.replaced_count}


def measure_import_export() -> dict:
    """The peer: django-import-export's own export of the same settings (flagcsv.resources.SettingResource, as
    the admin's ExportMixin runs it): the whole dataset built in memory, then written as one CSV string."""
    from flagcsv.resources import SettingResource

    backend, cpu, started = _backend_cpu(), _cpu(), time.perf_counter()
    sink = _Sink(started, header_first=False)
    rows = (Setting.objects.filter(institution_id=_user().institution_id)
            .select_related("institution", "member", "item").order_by("member__branch_number", "set_at"))
    dataset = SettingResource().export(queryset=rows)
    sink.write(("\ufeff" + dataset.csv).encode("utf-8"))
    wall = time.perf_counter() - started
    return {"path": "django-import-export", "wall": wall, "cpu": _cpu() - cpu, "backend": _backend_cpu() - backend,
            "first": sink.first, "first_data": sink.first_data, "bytes": sink.size, "rows": len(dataset),
            "replaced": 0}


def _line(m: dict, limit: dict | None = None) -> str:
    ratio = f"  ×{m['wall'] / limit['wall']:.2f} of COPY same (wall)" if limit else ""
    extra = f" rows={m['rows']} replaced={m['replaced']}" if "rows" in m else ""
    return (f"{m['path']:<28} wall={m['wall']:.2f}s cpu={m['cpu']:.2f}s backend_cpu={m['backend']:.2f}s "
            f"first_byte={m['first']:.3f}s first_row={m['first_data']:.3f}s bytes={m['bytes']:,}{extra}{ratio}")


def compare(rounds: int, engine: str) -> None:
    """Round by round: COPY plain, COPY same, export UTF-8, export cp932 (interleaved, so drift hits all)."""
    results: dict[str, list[dict]] = {}
    for n in range(rounds):
        limit = measure_copy("same")
        plain = measure_copy("plain")
        utf8 = measure_export(Encoding.UTF8_BOM, engine)
        sjis = measure_export(Encoding.CP932, engine)
        print(f"round {n + 1}")
        for m in (plain, limit, utf8, sjis):
            print("  " + _line(m, limit if m is not limit else None), flush=True)
            results.setdefault(m["path"], []).append({**m, "ratio": m["wall"] / limit["wall"]})
    print(f"median of {rounds} rounds (ratio = wall / COPY same wall of the same round)")
    for path, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "backend", "first", "first_data",
                                                                     "ratio")}
        print(f"  {path:<28} wall={med['wall']:.2f}s cpu={med['cpu']:.2f}s backend_cpu={med['backend']:.2f}s "
              f"first_byte={med['first']:.3f}s first_row={med['first_data']:.3f}s ratio={med['ratio']:.2f}")
    print(f"peak RSS of this process: {_rss_mib():.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--rows", type=int, default=100_000)
    c = sub.add_parser("compare")
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--engine", choices=[Engine.SQL, Engine.PYTHON], default=Engine.SQL)
    e = sub.add_parser("export")
    e.add_argument("--encoding", choices=[Encoding.UTF8_BOM, Encoding.CP932], default=Encoding.UTF8_BOM)
    e.add_argument("--engine", choices=[Engine.SQL, Engine.PYTHON], default=Engine.SQL)
    k = sub.add_parser("copy")
    k.add_argument("--select", choices=["same", "plain"], default="same")
    sub.add_parser("importexport")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.rows)
    elif args.command == "compare":
        compare(args.rounds, args.engine)
    elif args.command == "export":
        print(_line(measure_export(args.encoding, args.engine)) + f" max_rss={_rss_mib():.1f}MiB")
    elif args.command == "importexport":
        print(_line(measure_import_export()) + f" max_rss={_rss_mib():.1f}MiB")
    else:
        print(_line(measure_copy(args.select)) + f" max_rss={_rss_mib():.1f}MiB")


if __name__ == "__main__":
    main()
