"""send_inquiry with its flag check vs send_inquiry without it, in process, interleaved (issue 12, point 2).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/nakama_scale   # after generate_scale_data
    python bench/send_inquiry_bench.py [--rounds 20] [--calls 25] [--provider city|tenant]

A is the real choke point. B is the same call with `flags.selectors.both_sides` replaced by a stub that returns
"no settings, no links" without taking the settings locks or reading anything: the path without the flag check
(the limit; never shipped). A reads the provider's 副本 in the flag check's statement; B, having no check, reads it
in a round trip of its own (exchanges.answering.latest_replica), as send_inquiry would without the check. Rounds
run A B A B …; each round makes `--calls` inquiries. Printed: wall ms a call, CPU ms a call of this process and of
its PostgreSQL backend (same host, /proc), and the ratios A/B (the issue's target: ≤ 1.10). Each call is a real
情報照会: it adds records and audit entries to the database.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakama.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from exchanges.services import InquiryRequest, send_inquiry  # noqa: E402
from flags import selectors as flag_selectors  # noqa: E402
from institutions.models import Department, Institution, InstitutionKind, Role, Staff  # noqa: E402
from members.models import Member, Procedure  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu_s() -> float:
    """CPU time of this connection's PostgreSQL backend (same host): /proc/<pid>/schedstat in nanoseconds where the
    kernel has it (the 10 ms ticks of /proc/<pid>/stat are too coarse for a few calls), else the ticks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    schedstat = Path(f"/proc/{pid}/schedstat")
    if schedstat.exists():
        return int(schedstat.read_text().split()[0]) / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _no_flag_check(*, inquirer_id, provider_id, person_id, replica_item_id=None):
    return flag_selectors.BothSides(inquirer=[], provider=[], linked_cases=[])  # replica NOT_READ: B reads it itself


def _setup(provider_kind: str):
    insurer = Institution.objects.filter(is_tenant=True).order_by("id").first()
    clerk, _ = Staff.objects.get_or_create(
        username="bench_clerk",
        defaults={"institution": insurer, "department": Department.objects.filter(institution=insurer).first(),
                  "role": Role.CLERK, "display_name": "ベンチ 担当"},
    )
    if provider_kind == "tenant":
        provider = Institution.objects.filter(is_tenant=True).exclude(pk=insurer.pk).order_by("id").first()
    else:
        provider = Institution.objects.filter(kind=InstitutionKind.MUNICIPALITY).order_by("id").first()
    procedure = Procedure.objects.filter(items__isnull=False).order_by("id").first()
    member = Member.objects.filter(insurer=insurer).select_related("person").order_by("id")[1000]
    request = InquiryRequest(procedure=procedure, item=procedure.items.order_by("id").first(), provider=provider,
                             member=member)
    return clerk, request


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=25)
    parser.add_argument("--provider", choices=["city", "tenant"], default="city")
    args = parser.parse_args()
    clerk, request = _setup(args.provider)
    real = flag_selectors.both_sides
    for _ in range(5):  # warm-up (imports, catalogue, connection)
        send_inquiry(actor=clerk, request=request)
    results: dict[str, list[tuple[float, float, float]]] = {"A": [], "B": []}
    for _ in range(args.rounds):
        for label, both_sides in (("A", real), ("B", _no_flag_check)):
            flag_selectors.both_sides = both_sides
            try:
                backend0, cpu0, wall0 = _backend_cpu_s(), time.process_time(), time.perf_counter()
                for _ in range(args.calls):
                    send_inquiry(actor=clerk, request=request)
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                backend = _backend_cpu_s() - backend0
            finally:
                flag_selectors.both_sides = real
            results[label].append(tuple(1000 * v / args.calls for v in (wall, cpu, backend)))

    def med(label, i):
        return statistics.median(r[i] for r in results[label])

    ratios_wall = [a[0] / b[0] for a, b in zip(results["A"], results["B"], strict=True)]
    ratios_cpu = [(a[1] + a[2]) / (b[1] + b[2]) for a, b in zip(results["A"], results["B"], strict=True)]
    print(f"send_inquiry to a {args.provider}, {args.rounds} rounds × {args.calls} calls, interleaved A B A B …")
    print()
    print("| path | wall ms / call | client CPU ms | backend CPU ms | ratio wall (median of rounds) | ratio CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| A: send_inquiry (flag check) | {med('A', 0):.2f} | {med('A', 1):.2f} | {med('A', 2):.2f} | "
          f"**{statistics.median(ratios_wall):.2f}** | **{statistics.median(ratios_cpu):.2f}** |")
    print(f"| B: limit, without the flag check | {med('B', 0):.2f} | {med('B', 1):.2f} | {med('B', 2):.2f} | 1.00 | 1.00 |")


if __name__ == "__main__":
    main()
