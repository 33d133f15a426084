"""POST /api/v1/inquiries/ under gunicorn gthread vs a bare DRF one-INSERT endpoint under the same gunicorn (issue 12).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/nakama_scale   # after generate_scale_data
    python bench/inquiry_http_bench.py [--rounds 3] [--seconds 10] [--workers 2] [--threads 4] [--connections 8]
                                       [--members 1]

Starts one gunicorn (`-k gthread`, settings bench.bare.settings: the app's URLs plus /bench/bare-insert/), then
runs wrk on loopback against the two endpoints in turn, A B A B …, and prints requests/s of each, the ratio per
round, the gunicorn processes' CPU milliseconds per request (/proc schedstat, every thread), and the SQL statements one
inquiry request makes (counted in process with the test client). --members N spreads the inquiries over N members
(wrk picks a body at random per request): with one member every inquiry waits for the previous one's settings lock
on that person (held to its commit), which real traffic over many people does not. Needs wrk (`apt-get install
wrk`). Each inquiry POST is a real 情報照会 through the choke point: it adds records to the database.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.bare.urls import TABLE_SQL  # noqa: E402
from flags import access_log  # noqa: E402
from institutions.models import Department, Institution, InstitutionKind, Role, Staff  # noqa: E402
from members.models import Member, Procedure  # noqa: E402

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}
bodies = {{{bodies}}}
request = function()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
"""


def _payloads_and_token(members: int):
    insurer = Institution.objects.filter(is_tenant=True).order_by("id").first()
    department = Department.objects.filter(institution=insurer).first()
    clerk, _ = Staff.objects.get_or_create(
        username="bench_clerk",
        defaults={"institution": insurer, "department": department, "role": Role.CLERK, "display_name": "ベンチ 担当"},
    )
    _, token = AuthToken.objects.create(user=clerk)
    city = Institution.objects.filter(kind=InstitutionKind.MUNICIPALITY).order_by("id").first()
    procedure = Procedure.objects.filter(items__isnull=False).order_by("id").first()
    item = procedure.items.order_by("id").first()
    # People behind no glass (issue 17: a protected person needs a reason and records an access): the usual inquiry.
    candidates = list(Member.objects.filter(insurer=insurer).order_by("id")[1000:1000 + 2 * members + 100])
    touched = access_log.touched_persons(clerk, {m.person_id for m in candidates})
    chosen = [m for m in candidates if m.person_id not in touched][:members]
    payloads = [{"procedure": procedure.code, "item": item.code, "provider": city.pk, "member": m.branch_number,
                 "nondisclosure_code": False} for m in chosen]
    return payloads, token


def _statements_per_inquiry(payload, token) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.post("/api/v1/inquiries/", payload, format="json")  # warm caches as a running server would have them
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/inquiries/", payload, format="json")
    assert response.status_code == 201, response.content
    return len(captured.captured_queries)


def _cpu_ns(master_pid: int) -> int:
    """On-CPU nanoseconds of gunicorn's processes, every thread (/proc/<pid>/task/<tid>/schedstat: the scheduler's
    own clock, not 10 ms ticks; gthread's threads live as long as their worker)."""
    pids = [master_pid]
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                total += int(stat.read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
    return total


def _wrk(url: str, script: str, seconds: int, connections: int, threads: int) -> tuple[float, int]:
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", script, url],
        capture_output=True, text=True, check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    done = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses\n{result.stdout}")
    return rps, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--members", type=int, default=1)
    args = parser.parse_args()

    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL)
    payloads, token = _payloads_and_token(args.members)
    statements = _statements_per_inquiry(payloads[0], token)
    connection.close()

    tmp = Path(tempfile.mkdtemp(prefix="nakama-bench-"))
    bodies = ", ".join(f"[[{json.dumps(p)}]]" for p in payloads)
    (tmp / "inquiry.lua").write_text(LUA.format(bodies=bodies, auth=f'wrk.headers["Authorization"] = "Token {token}"'))
    (tmp / "bare.lua").write_text(LUA.format(bodies=bodies, auth=""))
    base = f"http://127.0.0.1:{args.port}"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.bare.settings")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "nakama.wsgi:application", "-k", "gthread", "--workers",
         str(args.workers), "--threads", str(args.threads), "--bind", f"127.0.0.1:{args.port}", "--chdir",
         str(ROOT), "--log-level", "warning"],
        env=env, start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/static/nakama-probe", timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        # Warm both endpoints (imports, connections) before counting.
        _wrk(f"{base}/api/v1/inquiries/", str(tmp / "inquiry.lua"), 2, args.connections, 2)
        _wrk(f"{base}/bench/bare-insert/", str(tmp / "bare.lua"), 2, args.connections, 2)
        rows = []
        for n in range(args.rounds):
            round_ = {}
            for label, url, script in (("inquiry", "/api/v1/inquiries/", "inquiry.lua"),
                                       ("bare", "/bench/bare-insert/", "bare.lua")):
                before = _cpu_ns(server.pid)
                rps, done = _wrk(base + url, str(tmp / script), args.seconds, args.connections, 2)
                round_[label] = (rps, (_cpu_ns(server.pid) - before) / 1e6 / max(done, 1))
            rows.append(round_)
            print(f"round {n + 1}: inquiry {round_['inquiry'][0]:.1f} req/s {round_['inquiry'][1]:.2f} ms CPU, "
                  f"bare {round_['bare'][0]:.1f} req/s {round_['bare'][1]:.2f} ms CPU, "
                  f"ratio req/s {round_['inquiry'][0] / round_['bare'][0]:.2f}, "
                  f"CPU {round_['bare'][1] / round_['inquiry'][1]:.2f}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    def spread(values, fmt="{:.2f}"):
        values = sorted(values)
        return f"{fmt.format(statistics.median(values))} ({fmt.format(values[0])}–{fmt.format(values[-1])})"

    print()
    print(f"gunicorn gthread {args.workers}×{args.threads}, wrk -c{args.connections}, {args.seconds} s × "
          f"{args.rounds} rounds, interleaved, inquiries over {args.members} member(s); median (min–max) of rounds")
    print()
    print("| path | req/s | gunicorn CPU ms / request | SQL statements / request |")
    print("|---|---:|---:|---:|")
    print(f"| POST /api/v1/inquiries/ | {spread([r['inquiry'][0] for r in rows], '{:.1f}')} | "
          f"{spread([r['inquiry'][1] for r in rows])} | {statements} |")
    print(f"| limit: bare DRF one-INSERT endpoint | {spread([r['bare'][0] for r in rows], '{:.1f}')} | "
          f"{spread([r['bare'][1] for r in rows])} | 1 |")
    print()
    # The target (issue 20): the inquiry's throughput per CPU at least 0.3 of the bare endpoint's, i.e. bare CPU ms
    # a request over the inquiry's, each round's pair measured back to back.
    print(f"ratio, CPU a request (bare / inquiry): {spread([r['bare'][1] / r['inquiry'][1] for r in rows])}")
    print(f"ratio, req/s (inquiry / bare): {spread([r['inquiry'][0] / r['bare'][0] for r in rows])}")

if __name__ == "__main__":
    main()
