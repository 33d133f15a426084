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
select_related, the unpaged portal list). Wall milliseconds p50 / p95 and the ratio of medians; PostgreSQL runs
on the same 2 cores, so client CPU time says little here — the ratios are the figure to quote.
"""

import argparse
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

from console import selectors as console_selectors  # noqa: E402
from exchanges import selectors as exchange_selectors  # noqa: E402
from exchanges.models import ExchangeRecord  # noqa: E402
from institutions.models import Institution, Role, Staff  # noqa: E402
from members.models import Member, Person  # noqa: E402

OLD_HISTORY_JOIN = ("inquirer", "provider", "procedure", "item", "subject", "inquired_by", "inquiry_code_by",
                    "provision_code_by", "responded_by")


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _p(samples, q) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(q * (len(samples) - 1))))]


def interleaved(name: str, paths: dict, runs: int) -> list[str]:
    """Run each path once per round, rotating the order, `runs` rounds after one warm-up round."""
    for fn in paths.values():
        fn()
    samples = {label: [] for label in paths}
    labels = list(paths)
    for i in range(runs):
        order = labels[i % len(labels):] + labels[: i % len(labels)]
        for label in order:
            samples[label].append(_ms(paths[label]))
    lines = [f"### {name} ({runs} interleaved runs)", "", "| path | p50 ms | p95 ms | p50 / limit |", "|---|---:|---:|---:|"]
    limit = statistics.median(samples[labels[-1]])
    for label in labels:
        s = samples[label]
        lines.append(f"| {label} | {statistics.median(s):.2f} | {_p(s, 0.95):.2f} | {statistics.median(s) / limit:.2f} |")
    return lines + [""]


def planning_ms(queryset) -> float:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, SUMMARY ON, TIMING OFF) " + sql, params)
        for (line,) in cursor.fetchall():
            if line.strip().startswith("Planning Time"):
                return float(line.split(":")[1].split()[0])
    return float("nan")


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
    out += [] if not wanted("search") else interleaved("member search", {
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
    }, args.runs)

    # Staff history first page.
    def old_first_page():
        base = ExchangeRecord.objects.select_related(*OLD_HISTORY_JOIN)
        rows = []
        for side in (base.filter(inquirer_id=insurer.pk), base.filter(provider_id=insurer.pk)):
            rows.extend(side.order_by("-inquired_at", "-id")[:51])
        return rows

    def bare_scans():
        base = ExchangeRecord.objects.select_related("procedure", "item", "subject")
        rows = []
        for side in (base.filter(inquirer_id=insurer.pk), base.filter(provider_id=insurer.pk)):
            rows.extend(side.order_by("-inquired_at", "-id")[:51])
        return rows

    out += [] if not wanted("history") else interleaved("staff やりとり履歴, first page", {
        "console page data (2 index scans, 4 tables, + institutions + staff)":
            lambda: console_selectors.exchange_history_page(auditor),
        "before: the same scans joining 10 tables (9 select_related)": old_first_page,
        "limit: the 2 index scans with 4 tables alone": bare_scans,
    }, args.runs)
    side = ExchangeRecord.objects.filter(inquirer_id=insurer.pk).order_by("-inquired_at", "-id")
    out += [] if not wanted("history") else [
        "Planning time of one side's query (EXPLAIN ANALYZE SUMMARY):",
        f"- 4 tables: {planning_ms(side.select_related('procedure', 'item', 'subject')[:51]):.2f} ms",
        f"- 10 tables (before): {planning_ms(side.select_related(*OLD_HISTORY_JOIN)[:51]):.2f} ms",
        "",
    ]

    # Portal history.
    heavy_shown = len(exchange_selectors.portal_history(person=heavy))
    light_shown = len(exchange_selectors.portal_history(person=light))
    out += [] if not wanted("portal") else interleaved(f"マイナポータル やりとり履歴 ({heavy_shown:,} vs {light_shown} shown records)", {
        f"first page, {heavy_shown:,}-record person (keyset, 50 a page)":
            lambda: exchange_selectors.portal_history_page(person=heavy),
        f"before: every record of the {heavy_shown:,}-record person":
            lambda: exchange_selectors.portal_history(person=heavy),
        f"limit: first page, {light_shown}-record person":
            lambda: exchange_selectors.portal_history_page(person=light),
    }, args.runs)
    reset_queries()
    print("\n".join(out))


if __name__ == "__main__":
    main()
