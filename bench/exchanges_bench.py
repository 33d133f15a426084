"""Exchange records at volume (run by hand, not in the suite): do the indexes serve the queries that matter?

    createdb -h 127.0.0.1 -U postgres nakama_wt_exchanges
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nakama_wt_exchanges python bench/exchanges_bench.py \
        --records 2000000 --persons 200000

Fills the database with synthetic 情報提供等記録 by raw SQL (generate_series: the volume cannot go through the
services in reasonable time; the services then run on top of it), then measures, each as the median of repeated
runs: マイナポータル やりとり履歴 of one person, the manual-response queue of one insurer, the staff history page,
and send_inquiry / approve_manual_response end to end. Prints the EXPLAIN plans and a Markdown table.
The data stays in that database; drop it with `dropdb nakama_wt_exchanges` (DELETE is refused by a trigger).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakama.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from exchanges.models import ExchangeRecord, ExchangeState  # noqa: E402
from exchanges.selectors import history_page_for, manual_queue_for, portal_history, records_for  # noqa: E402
from exchanges.services import (  # noqa: E402
    InquiryRequest,
    approve_manual_response,
    receive_inquiry,
    send_inquiry,
)
from flags.policy import SettingKind  # noqa: E402
from flags.services import set_setting  # noqa: E402
from institutions.models import Department, Institution, InstitutionKind, Role, Staff  # noqa: E402
from members.enrolment import run_enrolment_hooks  # noqa: E402
from members.models import InfoItem, Member, Person, Procedure, Replica  # noqa: E402


def _median_ms(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _explain(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def build(records: int, persons: int):
    call_command("migrate", verbosity=0)
    if Institution.objects.filter(name="ベンチ健康保険組合").exists():
        print("reusing the existing bench data")
        return
    a = Institution.objects.create(
        name="ベンチ健康保険組合", kind=InstitutionKind.HEALTH_INSURANCE_SOCIETY, insurer_number="06131239", is_tenant=True
    )
    b = Institution.objects.create(
        name="ベンチ広域連合", kind=InstitutionKind.LATE_ELDERLY_UNION, insurer_number="39130018", is_tenant=True
    )
    city = Institution.objects.create(name="ベンチ市", kind=InstitutionKind.MUNICIPALITY)
    dept = Department.objects.create(institution=a, name="業務部")
    Department.objects.create(institution=city, name="税務課")
    Staff.objects.create_user(username="bench_a", password="bench-pw-1", institution=a, department=dept, role=Role.CLERK)
    procedure = Procedure.objects.get(code="kenpo_benefit")
    item = InfoItem.objects.get(code="local_tax")
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_person (sim_id, name, kana, birth_date) "
            "SELECT 'SIM-BNCH-' || lpad(i::text, 8, '0'), 'ベンチ ' || i, 'ベンチ', DATE '1980-01-01' "
            "FROM generate_series(1, %s) AS i",
            [persons],
        )
        cursor.execute("SELECT min(id) FROM members_person WHERE sim_id LIKE 'SIM-BNCH-%%'")
        first_person = cursor.fetchone()[0]
        # Records spread over 5 years, three institutions on either side, 0.1% waiting for a manual response.
        cursor.execute(
            """
            INSERT INTO exchanges_exchangerecord (
                id, inquirer_id, provider_id, procedure_id, item_id, subject_id, inquirer_display,
                inquirer_department_display, provider_display, state, inquired_at, provided_at,
                inquiry_code, inquiry_code_source, provision_code, provision_code_source, content_corrected,
                decline_reason)
            SELECT gen_random_uuid(),
                   CASE WHEN i %% 3 = 0 THEN %(city)s WHEN i %% 3 = 1 THEN %(a)s ELSE %(b)s END,
                   CASE WHEN i %% 3 = 0 THEN (CASE WHEN i %% 2 = 0 THEN %(a)s ELSE %(b)s END) ELSE %(city)s END,
                   %(procedure)s, %(item)s, %(first)s + (i %% %(persons)s),
                   'x', 'x', 'x',
                   CASE WHEN i %% 1000 = 0 THEN 'manual' ELSE 'provided' END,
                   now() - (i %% 1826) * interval '1 day' - (i %% 86400) * interval '1 second',
                   CASE WHEN i %% 1000 = 0 THEN NULL ELSE now() END,
                   i %% 50 = 0, CASE WHEN i %% 50 = 0 THEN 'auto' ELSE '' END, false, '', false, ''
            FROM generate_series(1, %(records)s) AS i
            """,
            {"city": city.pk, "a": a.pk, "b": b.pk, "procedure": procedure.pk, "item": item.pk,
             "first": first_person, "persons": persons, "records": records},
        )
        cursor.execute("ANALYZE exchanges_exchangerecord; ANALYZE members_person;")
    print(f"loaded {records} records about {persons} persons in {time.perf_counter() - t0:.0f} s")


def measure(runs: int) -> list[tuple[str, float, str]]:
    a = Institution.objects.get(name="ベンチ健康保険組合")
    city = Institution.objects.get(name="ベンチ市")
    clerk = Staff.objects.get(username="bench_a")
    person = Person.objects.filter(sim_id__startswith="SIM-BNCH-").order_by("id")[1234]
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            insurer=a, person=person,
            defaults=dict(branch_number="BENCH0001", name=person.name, kana="ベンチ", birth_date=person.birth_date,
                          acquired_on=timezone.now().date()),
        )
        if created:
            run_enrolment_hooks(actor=clerk, member=member)  # as every 加入 does (引継ぎによる仮設定)
    item = InfoItem.objects.get(code="medical_eligibility")
    if not Replica.objects.filter(institution=a, person=person, item=item).exists():
        Replica.objects.create(institution=a, person=person, member=member, item=item, content={"保険者名称": a.name},
                               registered_at=timezone.now())
    procedure = Procedure.objects.get(code="kenpo_benefit")
    rows = []
    history_qs = ExchangeRecord.objects.filter(
        subject=person, state=ExchangeState.PROVIDED, inquiry_code=False, provision_code=False,
        appended_nondisclosure_at__isnull=True,
    ).order_by("-inquired_at", "-id")
    n = len(portal_history(person=person))
    rows.append((f"portal_history (one person, {n} shown)", _median_ms(lambda: portal_history(person=person), runs),
                 _explain(history_qs)))
    queue = manual_queue_for(clerk)
    n = queue.count()
    rows.append((f"manual_queue_for (one insurer, {n} waiting, list all)",
                 _median_ms(lambda: list(manual_queue_for(clerk)), runs), _explain(queue)))
    page = records_for(clerk).order_by("-inquired_at", "-id")[:50]
    rows.append(("records_for ordered and sliced to 50 (not for list pages)",
                 _median_ms(lambda: list(page.all()), max(3, runs // 10)), _explain(page)))
    first = history_page_for(clerk)
    cursor = (first[-1].inquired_at, first[-1].id)
    rows.append(("history_page_for first page of 50 (staff history)", _median_ms(lambda: history_page_for(clerk), runs),
                 _explain(ExchangeRecord.objects.filter(inquirer_id=a.pk).order_by("-inquired_at", "-id")[:50])))
    rows.append(("history_page_for next page (keyset cursor)",
                 _median_ms(lambda: history_page_for(clerk, before=cursor), runs), ""))
    request = InquiryRequest(procedure=procedure, item=InfoItem.objects.get(code="local_tax"), provider=city,
                             member=member)
    rows.append(("send_inquiry end to end (flag check, record, answer, audit)",
                 _median_ms(lambda: send_inquiry(actor=clerk, request=request), runs), ""))
    if not member.settings.filter(kind=SettingKind.NO_AUTO_RESPONSE, cleared_at__isnull=True).exists():
        set_setting(actor=clerk, member=member, kind=SettingKind.NO_AUTO_RESPONSE, item=item, reason="bench")
    queued = [
        receive_inquiry(inquirer=city, department=None, provider=a, subject=person,
                        procedure=Procedure.objects.get(code="welfare"), item=item)
        for _ in range(runs)
    ]
    it = iter(queued)
    rows.append(("approve_manual_response end to end (lock, re-check, provide, audit)",
                 _median_ms(lambda: approve_manual_response(actor=clerk, record=next(it)), runs), ""))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run it on PostgreSQL (DATABASE_URL=postgres://...)")
    build(args.records, args.persons)
    total = ExchangeRecord.objects.count()
    rows = measure(args.runs)
    print(f"\n{total} records; median of {args.runs} runs\n")
    print("| query | median ms |\n|---|---|")
    for name, ms, _ in rows:
        print(f"| {name} | {ms:.2f} |")
    for name, _, plan in rows:
        if plan:
            print(f"\n### {name}\n```\n{plan}\n```")


if __name__ == "__main__":
    main()
