"""A soak (issue 20 ⑤): mixed load for 10 minutes against gunicorn with a synchronous standby, on loopback.

    python bench/soak.py [--seconds 600] [--clients 6] [--workers 2] [--threads 4] [--warmup 60]

Starts its own primary/standby pair (tests/support/pgpair.py: remote_apply, the standby read by the portal),
migrates it and builds the demo world, then serves Nakama with gunicorn (`-k gthread`, DATABASE_URL on the primary,
DATABASE_REPLICA_URL on the standby). Client threads pick, per request, one of:
  API      POST /api/v1/inquiries/ (a real 情報照会 through the choke point, its own Idempotency-Key),
           GET /api/v1/exchanges/
  console  GET / (home), GET /members/?q=…, GET /exchanges/ (a clerk signed in through the login page)
  portal   POST /api/sim/portal/ (card + PIN, JSON), GET /portal/history/ (a card signed in through its page)
It samples every gunicorn worker's RSS each 10 s and prints, in Markdown for bench/RESULTS.md: errors (any answer
other than 2xx/3xx, or no answer), requests and p50/p99 per route, and each worker's RSS after the warm-up and at
the end (target: 0 errors, RSS ≤ +10 % after warm-up). Run it on an otherwise quiet machine if you can.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replication.conftest import DB, SIM_KEY, app_env, seed  # noqa: E402
from tests.support.pgpair import PgPair, free_port  # noqa: E402

MEMBERS = [f"A{n:07d}" for n in range(1, 9)]
SEARCHES = ["佐藤", "鈴木", "高橋", "田中", "伊藤"]
PORTAL_CARDS = [("CARD-HANA-KOSA", "1111"), ("CARD-TARO-KOSA", "2222")]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(int)
        self.error_samples: list[str] = []

    def add(self, route: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latency[route].append(seconds)
            if not ok:
                self.errors[route] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{route}: {detail}")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def _console_session(base: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = s.post(f"{base}/login/", data={"username": "a_clerk", "password": "nakama-demo-2026",
                                            "csrfmiddlewaretoken": token}, headers={"Referer": f"{base}/login/"})
    assert answer.ok and "/login/" not in answer.url, "the clerk could not sign in"
    return s


def _portal_session(base: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/portal/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    card, pin = PORTAL_CARDS[0]
    answer = s.post(f"{base}/portal/login/", data={"card_number": card, "pin": pin, "csrfmiddlewaretoken": token},
                    headers={"Referer": f"{base}/portal/login/"})
    assert answer.ok and "/login/" not in answer.url, "the card could not sign in"
    return s


def client(n: int, base: str, token: str, city: int, stop: threading.Event, stats: Stats) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    console = _console_session(base)
    portal = _portal_session(base)
    sim = requests.Session()
    sim.headers["X-Nakama-Sim-Key"] = SIM_KEY
    rng = random.Random(n)
    i = 0
    while not stop.is_set():
        i += 1
        pick = rng.random()
        if pick < 0.30:
            route, call = "API POST /api/v1/inquiries/", lambda i=i: api.post(
                f"{base}/api/v1/inquiries/", headers={"Idempotency-Key": f"soak-{n}-{i}"},
                json={"procedure": "kenpo_benefit", "item": "local_tax", "provider": city,
                      "member": rng.choice(MEMBERS)})
        elif pick < 0.40:
            route, call = "API GET /api/v1/exchanges/", lambda: api.get(f"{base}/api/v1/exchanges/?page_size=20")
        elif pick < 0.50:
            route, call = "console GET /", lambda: console.get(f"{base}/")
        elif pick < 0.60:
            route, call = "console GET /members/?q=", lambda: console.get(
                f"{base}/members/", params={"q": rng.choice(SEARCHES)})
        elif pick < 0.70:
            route, call = "console GET /exchanges/", lambda: console.get(f"{base}/exchanges/")
        elif pick < 0.85:
            card, pin = rng.choice(PORTAL_CARDS)
            route, call = "portal POST /api/sim/portal/", lambda card=card, pin=pin: sim.post(
                f"{base}/api/sim/portal/", json={"card_number": card, "pin": pin})
        else:
            route, call = "portal GET /portal/history/", lambda: portal.get(f"{base}/portal/history/")
        started = time.perf_counter()
        try:
            answer = call()
            ok, detail = answer.status_code < 400 and "/login/" not in answer.url, f"{answer.status_code}"
        except requests.RequestException as error:
            ok, detail = False, repr(error)
        stats.add(route, time.perf_counter() - started, ok, detail)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with PgPair.start() as pair:
        print(f"pair: primary :{pair.primary_port}, synchronous standby :{pair.standby_port} (remote_apply)")
        token = seed(pair)
        port = free_port()
        env = app_env(DATABASE_URL=pair.primary_url(DB), DATABASE_REPLICA_URL=pair.standby_url(DB),
                      PORTAL_THROTTLE_RATE="1000000/min", SIGNIN_THROTTLE_RATE="1000000/min")
        master = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "nakama.wsgi:application", "-k", "gthread", "--workers",
             str(args.workers), "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    requests.get(f"{base}/login/", timeout=2)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            city = next(i["id"] for i in requests.get(f"{base}/api/v1/institutions/",
                                                      headers={"Authorization": f"Token {token}"}).json()
                        if i["name"] == "甲市")
            stats, stop = Stats(), threading.Event()
            threads = [threading.Thread(target=client, args=(n, base, token, city, stop, stats), daemon=True)
                       for n in range(args.clients)]
            for thread in threads:
                thread.start()
            started = time.monotonic()
            samples: dict[int, list[tuple[float, int]]] = defaultdict(list)
            while (elapsed := time.monotonic() - started) < args.seconds:
                for pid in worker_pids(master.pid):
                    samples[pid].append((elapsed, rss_kib(pid)))
                time.sleep(10)
            stop.set()
            for thread in threads:
                thread.join(30)
        finally:
            master.terminate()
            master.wait(20)

    total = sum(len(v) for v in stats.latency.values())
    errors = sum(stats.errors.values())
    print(f"\n### Soak: {args.seconds} s, {args.clients} clients, gunicorn gthread {args.workers}×{args.threads}, "
          f"synchronous standby (remote_apply), load average {os.getloadavg()[0]:.1f}\n")
    print(f"{total} requests, **{errors} errors** (target 0)\n")
    print("| route | requests | errors | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for route in sorted(stats.latency):
        values = stats.latency[route]
        print(f"| {route} | {len(values)} | {stats.errors[route]} | {_pct(values, 0.5):.1f} | {_pct(values, 0.99):.1f} |")
    print("\n| worker | RSS after warm-up (MiB) | RSS at end (MiB) | growth (target ≤ +10 %) |")
    print("|---|---|---|---|")
    for pid, series in samples.items():
        after = next((kib for at, kib in series if at >= args.warmup), series[-1][1])
        end = series[-1][1]
        print(f"| {pid} | {after / 1024:.1f} | {end / 1024:.1f} | {100 * (end - after) / after:+.1f} % |")
    if stats.error_samples:
        print("\nerrors (first 10):", *stats.error_samples, sep="\n  ")


if __name__ == "__main__":
    main()
