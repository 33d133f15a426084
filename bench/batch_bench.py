"""一括照会 vs single inquiries: gunicorn CPU per inquiry, same server, same run (issue 20 ④).

    python bench/batch_bench.py [--singles 300] [--batches 6] [--stream 10000] [--rounds 3]

Starts its own primary/standby pair (tests/support/pgpair.py, remote_apply), the demo world, one gunicorn
(`-k gthread`, 1 worker so /proc gives its CPU exactly). Each round, in turn: `--singles` POST /api/v1/inquiries/
one after another; `--batches` POST /api/v1/inquiries/batch/ of 100 lines; one POST /api/v1/inquiries/batch/stream/
of `--stream` lines (NDJSON, read to its end). For each: gunicorn's CPU milliseconds (user + system, /proc) per
inquiry sent, and SQL statements are pinned in tests/exchanges/test_batch.py instead. Target: batch CPU per
inquiry ≤ 0.3 × a single POST's, measured in the same run. Inquiries are spread over the demo's members (A0000001–
A0000008) and go to 甲市 (a real 情報照会 through the choke point each).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replication.conftest import DB, app_env, seed  # noqa: E402
from tests.support.pgpair import PgPair, free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ms(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / TICK


def workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--stream", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with PgPair.start() as pair:
        token = seed(pair)
        port = free_port()
        env = app_env(DATABASE_URL=pair.primary_url(DB))
        master = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "nakama.wsgi:application", "-k", "gthread", "--workers", "1",
             "--threads", "4", "--bind", f"127.0.0.1:{port}", "--timeout", "600"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        s = requests.Session()
        s.headers["Authorization"] = f"Token {token}"
        try:
            for _ in range(200):
                try:
                    s.get(f"{base}/api/v1/me/", timeout=2)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            city = next(i["id"] for i in s.get(f"{base}/api/v1/institutions/").json() if i["name"] == "甲市")
            members = [f"A{n:07d}" for n in range(1, 9)]

            def line(n: int) -> dict:
                return {"procedure": "kenpo_benefit", "item": "local_tax", "provider": city,
                        "member": members[n % len(members)]}

            pids = workers(master.pid)
            for n in range(20):  # warm-up: imports, prepared statements, caches
                s.post(f"{base}/api/v1/inquiries/", json=line(n))
            s.post(f"{base}/api/v1/inquiries/batch/", json={"inquiries": [line(n) for n in range(100)]})
            figures: dict[str, list[float]] = {"single": [], "batch": [], "stream": []}
            for _ in range(args.rounds):
                before = cpu_ms(pids)
                for n in range(args.singles):
                    answer = s.post(f"{base}/api/v1/inquiries/", json=line(n))
                    assert answer.status_code == 201, (answer.status_code, answer.text[:300])
                figures["single"].append((cpu_ms(pids) - before) / args.singles)

                before = cpu_ms(pids)
                for b in range(args.batches):
                    answer = s.post(f"{base}/api/v1/inquiries/batch/",
                                    json={"inquiries": [line(b * 100 + n) for n in range(100)]})
                    assert answer.status_code == 200 and all(r["sent"] for r in answer.json()["results"])
                figures["batch"].append((cpu_ms(pids) - before) / (args.batches * 100))

                before = cpu_ms(pids)
                with s.post(f"{base}/api/v1/inquiries/batch/stream/",
                            json={"inquiries": [line(n) for n in range(args.stream)]}, stream=True) as answer:
                    last = None
                    for raw in answer.iter_lines():
                        last = raw
                assert last and b'"type": "end"' in last and f'"sent": {args.stream}'.encode() in last, last
                figures["stream"].append((cpu_ms(pids) - before) / args.stream)
        finally:
            master.terminate()
            master.wait(20)

    single = statistics.median(figures["single"])
    print(f"\n### 一括照会 vs single POST: gunicorn CPU per inquiry ({args.rounds} rounds, load average "
          f"{os.getloadavg()[0]:.1f})\n")
    print("| path | CPU ms / inquiry (median; each round) | ratio to a single POST (target ≤ 0.3) |")
    print("|---|---|---|")
    for name, label in (("single", "POST /api/v1/inquiries/ (limit)"),
                        ("batch", "POST /api/v1/inquiries/batch/, 100 lines"),
                        ("stream", f"POST /api/v1/inquiries/batch/stream/, {args.stream} lines")):
        values = figures[name]
        rounds = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {label} | {statistics.median(values):.2f} ({rounds}) | {statistics.median(values) / single:.2f} |")


if __name__ == "__main__":
    main()
