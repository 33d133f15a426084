"""Issue 12 pairs at national scale (run by hand): each figure beside its limit, measured in the same run, interleaved.

    createdb -h 127.0.0.1 -U postgres nakama_scale
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/nakama_scale
    python manage.py migrate && python manage.py generate_scale_data --members 1000000 --records 2500000
    python bench/scale_bench.py [--runs 100]

Pairs (A is the path, B its limit; A and B alternate run by run, so a drift of the shared machine hits both):
- member search by 氏名 (contains, the console's first page) vs the 枝番 lookup by its unique index;
- staff やりとり履歴, first page as the console builds it vs the same two index scans joining 4 tables alone;
- マイナポータル やりとり履歴 of the person with 1,003 records vs the person with 3 records.
The path as it was before issue 12 is measured in the same loop where it still can be (plain LIKE, the nine-way
select_related, the unpaged portal list). Wall milliseconds p50 / p95 and the ratio of medians, and CPU time per
call: this process's (Python, psycopg2) and, when PostgreSQL runs on this host and /proc/<backend pid>/schedstat is
readable (root, or the same user), the backend's — on a shared machine the wall includes waiting for a core, the
CPU times do not. `--only` runs one pair; the load average is printed before and after.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakama.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.utils import timezone  # noqa: E402

from console import selectors as console_selectors  # noqa: E402
from exchanges import selectors as exchange_selectors  # noqa: E402
from exchanges.models import ExchangeRecord  # noqa: E402
from institutions.models import Institution, Role, Staff  # noqa: E402
from members.models import Member, Person  # noqa: E402

OLD_HISTORY_JOIN = ("inquirer", "provider", "procedure", "item", "subject", "inquired_by", "inquiry_code_by",
                    "provision_code_by", "responded_by")


class BackendCPU:
    """CPU time of this connection's PostgreSQL backend, from /proc/<pid>/schedstat (nanoseconds on a core); None
    where it cannot be read (the database on another host, or another user's process without root)."""

    def __init__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.path = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")
        self.readable = self.ns() is not None

    def ns(self) -> int | None:
        try:
            return int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _measure(fn, backend: BackendCPU) -> tuple[float, float, float | None]:
    """Wall, client CPU and backend CPU of one call, in milliseconds."""
    server = backend.ns() if backend.readable else None
    cpu = time.thread_time()
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    cpu = time.thread_time() - cpu
    server = (backend.ns() - server) / 1e6 if server is not None else None
    return wall * 1000, cpu * 1000, server


def _p(samples, q) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(q * (len(samples) - 1))))]


def interleaved(name: str, paths: dict, runs: int) -> list[str]:
    """Run each path once per round, rotating the order, `runs` rounds after one warm-up round; the last path is the
    limit the others are divided by."""
    for fn in paths.values():
        fn()
    backend = BackendCPU()
    samples = {label: [] for label in paths}
    labels = list(paths)
    for i in range(runs):
        order = labels[i % len(labels):] + labels[: i % len(labels)]
        for label in order:
            samples[label].append(_measure(paths[label], backend))
    server_note = "" if backend.readable else " (backend CPU: not readable here)"
    lines = [f"### {name} ({runs} interleaved runs){server_note}", "",
             "| path | wall p50 ms | wall p95 ms | p50 / limit | client CPU p50 ms | backend CPU p50 ms | CPU p50 / limit |",
             "|---|---:|---:|---:|---:|---:|---:|"]

    def cpu(label):  # client + backend, per call
        return statistics.median(c + (b or 0.0) for _, c, b in samples[label])

    limit, limit_cpu = statistics.median(w for w, _, _ in samples[labels[-1]]), cpu(labels[-1])
    for label in labels:
        wall = [w for w, _, _ in samples[label]]
        client = statistics.median(c for _, c, _ in samples[label])
        server = f"{statistics.median(b for _, _, b in samples[label]):.2f}" if backend.readable else "—"
        lines.append(f"| {label} | {statistics.median(wall):.2f} | {_p(wall, 0.95):.2f} | "
                     f"{statistics.median(wall) / limit:.2f} | {client:.2f} | {server} | {cpu(label) / limit_cpu:.2f} |")
    return lines + [""]


def planning_ms(queryset, times: int = 20) -> float:
    """Median planning time of the queryset's statement (EXPLAIN ANALYZE SUMMARY, `times` runs)."""
    sql, params = queryset.query.sql_with_params()
    found = []
    with connection.cursor() as cursor:
        for _ in range(times):
            cursor.execute("EXPLAIN (ANALYZE, SUMMARY ON, TIMING OFF) " + sql, params)
            found += [float(line.split(":")[1].split()[0]) for (line,) in cursor.fetchall()
                      if line.strip().startswith("Planning Time")]
    return statistics.median(found) if found else float("nan")


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--only", choices=["search", "history", "portal"], help="one pair only")
    args = parser.parse_args()

    insurer = Institution.objects.filter(is_tenant=True).order_by("id").first()
    auditor, _ = Staff.objects.get_or_create(
        username="bench_auditor", defaults={"institution": insurer, "role": Role.AUDITOR, "display_name": "ベンチ"}
    )
    members = Member.objects.filter(insurer=insurer).count()
    records = ExchangeRecord.objects.count()
    heavy, light = Person.objects.order_by("id")[:2]
    some_member = Member.objects.filter(insurer=insurer).order_by("id")[members // 2]
    print(f"# Issue 12 pairs — {connection.vendor}, {Member.objects.count():,} members ({members:,} in the first "
          f"insurer), {records:,} exchange records")
    print()
    out = []

    def wanted(pair: str) -> bool:
        return args.only in (None, pair)

    # Member search by 氏名 (the console's first page: SEARCH_LIMIT + 1 rows) vs the 枝番 index lookup.
    limit = console_selectors.SEARCH_LIMIT + 1
    surname, full = some_member.name.split()[0], some_member.name
    sample = Member.objects.filter(insurer=insurer).values_list("name", flat=True)[:5000]
    commonest = Counter(n.split()[0] for n in sample).most_common(1)[0][0]
    out += [] if not wanted("search") else [f"({load()})", ""] + interleaved("member search", {
        f"氏名 contains 「{commonest}」 (the commonest surname, trigram index)":
            lambda: list(console_selectors.search_members(auditor, name=commonest)[:limit]),
        f"氏名 contains 「{surname}」 (2 characters, trigram index)":
            lambda: list(console_selectors.search_members(auditor, name=surname)[:limit]),
        f"氏名 contains 「{full}」 (trigram index)":
            lambda: list(console_selectors.search_members(auditor, name=full)[:limit]),
        f"before: 氏名 contains 「{surname}」, plain LIKE (no usable index)":
            lambda: list(Member.objects.visible_to(auditor).filter(name__contains=surname)
                         .order_by("kana", "branch_number")[:limit]),
        "limit: 枝番 lookup (unique index)":
            lambda: list(console_selectors.search_members(auditor, branch_number=some_member.branch_number)[:limit]),
    }, args.runs) + [f"({load()})", ""]

    # Staff history first page.
    def old_first_page():
        base = ExchangeRecord.objects.select_related(*OLD_HISTORY_JOIN)
        rows = []
        for side in (base.filter(inquirer_id=insurer.pk), base.filter(provider_id=insurer.pk)):
            rows.extend(side.order_by("-inquired_at", "-id")[:51])
        return rows

    now = timezone.now()

    def first_window(queryset):  # the newest months, as the page reads them first (exchanges.selectors)
        return next(exchange_selectors.history_windows(queryset, now))

    def bare_scans():
        base = first_window(ExchangeRecord.objects.select_related("procedure", "item", "subject"))
        rows = []
        for side in (base.filter(inquirer_id=insurer.pk), base.filter(provider_id=insurer.pk)):
            rows.extend(side.order_by("-inquired_at", "-id")[:51])
        return rows

    def sides_merged_in_python():  # the console page data before this run's change (partition branch 090b815)
        rows = []
        base = ExchangeRecord.objects.select_related("procedure", "item", "subject")
        for side in (base.filter(inquirer_id=insurer.pk), base.filter(provider_id=insurer.pk)):
            found = []
            for window in exchange_selectors.history_windows(side, now):
                found.extend(window.order_by("-inquired_at", "-id")[: 51 - len(found)])
                if len(found) >= 51:
                    break
            rows.extend(found)
        rows = sorted(rows, key=lambda r: (r.inquired_at, r.id), reverse=True)[:50]
        console_selectors.attach_related(rows, Institution._base_manager.all(), ("inquirer", "provider"))
        console_selectors.attach_related(rows, Staff._base_manager.all(), console_selectors.HISTORY_STAFF)
        return rows

    def full_page():  # what the view renders from: the page data and annotate_records (our members, 追記依頼)
        page = console_selectors.exchange_history_page(auditor)
        return console_selectors.annotate_records(auditor, page.object_list, page.staff)

    records = ExchangeRecord.objects.all()
    merged = exchange_selectors.two_sided_rows(first_window(records), institution_id=insurer.pk, count=51)
    with_person = exchange_selectors.two_sided_rows(
        first_window(records.select_related("subject")), institution_id=insurer.pk, count=51)
    unbounded = exchange_selectors.two_sided_rows(records, institution_id=insurer.pk, count=51)
    month = timezone.localtime(now).date().replace(day=1)
    after_next = timezone.make_aware(datetime.datetime(month.year + (month.month + 1) // 12, (month.month + 1) % 12 + 1, 1))
    ahead_bounded = exchange_selectors.two_sided_rows(
        first_window(records).filter(inquired_at__lt=after_next), institution_id=insurer.pk, count=51)
    merged_sql, merged_params = merged.query.sql_with_params()
    subject_at = [f.attname for f in ExchangeRecord._meta.concrete_fields].index("subject_id")
    persons_sql = Person.objects.filter(pk__in=[0]).query.sql_with_params()[0].replace("IN (%s)", "= ANY(%s)")

    def statements_alone():  # the database's part: the page's record and person statements, rows as tuples
        with connection.cursor() as cursor:
            cursor.execute(merged_sql, merged_params)
            rows = cursor.fetchall()
            cursor.execute(persons_sql, [list({row[subject_at] for row in rows})])
            return rows, cursor.fetchall()

    out += [] if not wanted("history") else [f"({load()})", ""] + interleaved("staff やりとり履歴, first page", {
        "console page data (a record statement a time window: 2 index scans merged by UNION ALL; + persons + staff)":
            lambda: console_selectors.exchange_history_page(auditor),
        "console page data + annotate_records (our members, 追記依頼, staff labels)": full_page,
        "before this run's change: each side by its windows, 4 tables, merged in Python, + institutions + staff":
            sides_merged_in_python,
        "before issue 12: the same scans joining 10 tables (9 select_related), no time window": old_first_page,
        "earlier limit: the 2 index scans with 4 tables alone, first window (2 statements, 102 objects)": bare_scans,
        "limit: the page's record and person statements alone, first window (rows as tuples, no objects)":
            statements_alone,
    }, args.runs) + [f"({load()})", ""]
    side = ExchangeRecord.objects.filter(inquirer_id=insurer.pk).order_by("-inquired_at", "-id")
    out += [] if not wanted("history") else [
        "Planning time, median of 20 (EXPLAIN ANALYZE SUMMARY):",
        f"- the page's record statement (both sides merged, first window): {planning_ms(merged):.2f} ms",
        f"- the page's person statement: "
        f"{planning_ms(Person.objects.filter(pk__in=[r.subject_id for r in merged])):.2f} ms",
        f"- the record statement joining the person instead: {planning_ms(with_person):.2f} ms",
        f"- the same without a time window: {planning_ms(unbounded):.2f} ms",
        f"- the page's statement if its first window also ended at the month after next (not what the code does: "
        f"what fewer months made ahead would give): {planning_ms(ahead_bounded):.2f} ms",
        f"- one side, 4 tables (earlier): {planning_ms(side.select_related('procedure', 'item', 'subject')[:51]):.2f} ms",
        f"- one side, 10 tables (before issue 12): {planning_ms(side.select_related(*OLD_HISTORY_JOIN)[:51]):.2f} ms",
        "",
    ]

    # Portal history.
    heavy_shown = len(exchange_selectors.portal_history(person=heavy))
    light_shown = len(exchange_selectors.portal_history(person=light))
    out += [] if not wanted("portal") else [f"({load()})", ""] + interleaved(f"マイナポータル やりとり履歴 ({heavy_shown:,} vs {light_shown} shown records)", {
        f"first page, {heavy_shown:,}-record person (keyset, 50 a page)":
            lambda: exchange_selectors.portal_history_page(person=heavy),
        f"before: every record of the {heavy_shown:,}-record person":
            lambda: exchange_selectors.portal_history(person=heavy),
        f"limit: first page, {light_shown}-record person":
            lambda: exchange_selectors.portal_history_page(person=light),
    }, args.runs) + [f"({load()})", ""]
    reset_queries()
    print("\n".join(out))


if __name__ == "__main__":
    main()
