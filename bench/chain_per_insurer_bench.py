"""Audited writes of 8 insurers vs 8 writers on one insurer, commits waiting on a synchronous standby (issue 20 ③).

    python bench/chain_per_insurer_bench.py [--writers 8] [--seconds 10] [--rounds 5] [--apply-delay-ms 5]

Starts its own primary/standby pair (tests/support/pgpair.py: `synchronous_standby_names` naming the standby,
`synchronous_commit = remote_apply`, `recovery_min_apply_delay` on the standby so every commit visibly waits for
it), migrates a database on it and, in the same run, each round:

- `spread`: N writer processes (one connection each), writer i audits for insurer i: N chains;
- `one`:    N writers, all for insurer 0: one chain, every writer waits for the chain's lock;
- `single`: one writer alone on one insurer: the commit latency and the one-chain bound (1 / lock hold time).

Every write is one transaction holding one `audit.services.record(...)` — the one way to write an entry — so the
chain lock is held from the INSERT's trigger to the commit, which waits for the standby's apply. Printed per phase:
entries/s, the writers' own CPU (user + system) and their backends' CPU per entry beside the wall time, the whole
pair's CPU (both clusters), the transaction latency, and where the writers' backends were (pg_stat_activity sampled
every 20 ms: `Lock:advisory` = waiting for a chain lock, `IPC:SyncRep` = waiting for the standby). Afterwards the
chains are verified (`verify_chain`, then `manage.py verify_audit`).
"""

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replication.conftest import app_env, manage  # noqa: E402
from tests.support.pgpair import PgPair  # noqa: E402

DB = "nakama_chain_bench"
APP = "chain_bench"
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def cluster_cpu_s(datadir: Path) -> float:
    """CPU of a cluster's postmaster and every process it started (backends, walsender/receiver, startup): the live
    ones, plus the postmaster's reaped children (cutime + cstime), so a backend that exits mid-phase still counts."""
    master = int((datadir / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(x) for x in fields[11:15]) / TICK
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat[1]) == master:
                total += (int(stat[11]) + int(stat[12])) / TICK
    return total


def writer(slot: int, institution_id: int, seconds: float, barrier, results) -> None:
    from django.db import connection, transaction

    from audit.services import record
    from institutions.models import Institution

    insurer = Institution.objects.get(pk=institution_id)
    with connection.cursor() as cursor:
        cursor.execute("SET application_name = %s", [APP])
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def one(n: int) -> None:
        with transaction.atomic():
            record(actor=None, action="inquiry.sent", institution=insurer, message=f"ベンチ {slot}-{n}",
                   after={"member": f"A{n:07d}", "provider": "甲市", "writer": slot})

    for n in range(5):  # warm-up: connection, statements, the chain head in cache
        one(n)
    barrier.wait()
    started, cpu, backend_cpu = time.perf_counter(), time.process_time(), proc_cpu_s(backend)
    latencies, n = [], 0
    while time.perf_counter() - started < seconds:
        began = time.perf_counter()
        one(n)
        latencies.append(time.perf_counter() - began)
        n += 1
    ended = time.perf_counter()
    results.put({"slot": slot, "entries": n, "start": started, "end": ended,
                 "cpu": time.process_time() - cpu, "backend_cpu": proc_cpu_s(backend) - backend_cpu,
                 "latencies": latencies})
    connection.close()


def sample_waits(url: str, stop: threading.Event, seen: Counter) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        seen["_pid"] = backend
        while not stop.is_set():
            cursor.execute("SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                           "WHERE application_name = %s", [APP])
            for state, kind, event in cursor.fetchall():
                if state == "active":
                    seen[f"{kind}:{event}" if kind else "running (CPU)"] += 1
                else:
                    seen[f"{state} (client)"] += 1
            time.sleep(0.02)
    conn.close()


def phase(pair: PgPair, insurers: list[int], seconds: float) -> dict:
    from django.db import connections

    connections.close_all()  # the writers fork: each opens its own connection
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(len(insurers) + 1), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(slot, inst, seconds, barrier, results))
             for slot, inst in enumerate(insurers)]
    for p in procs:
        p.start()
    stop, waits = threading.Event(), Counter()
    sampler = threading.Thread(target=sample_waits, args=(pair.primary_url(DB), stop, waits))
    barrier.wait()
    sampler.start()
    while "_pid" not in waits:
        time.sleep(0.001)
    sampler_cpu = proc_cpu_s(waits["_pid"])
    pair_cpu = cluster_cpu_s(pair.primary_dir) + cluster_cpu_s(pair.standby_dir)
    rows = [results.get(timeout=seconds + 120) for _ in procs]
    pair_cpu = cluster_cpu_s(pair.primary_dir) + cluster_cpu_s(pair.standby_dir) - pair_cpu
    pair_cpu -= proc_cpu_s(waits.pop("_pid")) - sampler_cpu  # the sampler's own backend is not the writers' cost
    stop.set()
    sampler.join()
    for p in procs:
        p.join(30)
    entries = sum(r["entries"] for r in rows)
    wall = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    latencies = sorted(x for r in rows for x in r["latencies"])
    total_waits = sum(waits.values()) or 1
    return {
        "entries": entries, "wall": wall, "rate": entries / wall,
        "client_cpu_ms": 1000 * sum(r["cpu"] for r in rows) / entries,
        "backend_cpu_ms": 1000 * sum(r["backend_cpu"] for r in rows) / entries,
        "pair_cpu_ms": 1000 * pair_cpu / entries,
        "cpu_s": sum(r["cpu"] for r in rows) + pair_cpu,
        "p50_ms": 1000 * latencies[len(latencies) // 2], "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
        "waits": {k: round(v / total_waits, 3) for k, v in waits.most_common()},
    }


def fmt(values: list[float], digits: int = 0) -> str:
    return (f"**{statistics.median(values):.{digits}f}** (min {min(values):.{digits}f}, "
            f"max {max(values):.{digits}f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--apply-delay-ms", type=int, default=5)
    args = parser.parse_args()

    with PgPair.start(apply_delay_ms=args.apply_delay_ms) as pair:
        pair.create_database(DB)
        url = pair.primary_url(DB)
        manage("migrate", "--no-input", env=app_env(DATABASE_URL=url))
        os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="nakama.settings_test", CONN_MAX_AGE="600")
        import django

        django.setup()
        from audit.chain import verify_chain
        from institutions.models import Institution

        insurers = [Institution.objects.create(name=f"ベンチ健康保険組合{i + 1}", kind="kenpo_kumiai",
                                               is_tenant=True).pk for i in range(args.writers)]
        phases = {"spread": insurers, "one": [insurers[0]] * args.writers, "single": [insurers[0]]}
        runs: dict[str, list[dict]] = {name: [] for name in phases}
        for r in range(args.rounds):
            order = ["spread", "one", "single"] if r % 2 == 0 else ["one", "spread", "single"]
            for name in order:
                runs[name].append(phase(pair, phases[name], args.seconds))
                done = runs[name][-1]
                print(f"round {r + 1} {name}: {done['rate']:.0f} entries/s, wall {done['wall']:.1f} s, "
                      f"cpu {done['cpu_s']:.1f} s, p50 {done['p50_ms']:.1f} ms, waits {done['waits']}", flush=True)
        report = verify_chain()
        audit = manage("verify_audit", env=app_env(DATABASE_URL=url), check=False)
        sync = pair.psql(pair.primary_port, "SELECT sync_state FROM pg_stat_replication")

    ratios = [s["rate"] / o["rate"] for s, o in zip(runs["spread"], runs["one"], strict=True)]
    print(f"\n### Chain per insurer: {args.writers} writers over {args.writers} insurers vs {args.writers} on one "
          f"({args.rounds} rounds of {args.seconds:.0f} s, standby apply delay {args.apply_delay_ms} ms, "
          f"standby {sync}, load average {os.getloadavg()[0]:.1f})\n")
    print("| phase | entries/s | client CPU ms/entry | backend CPU ms/entry | pair CPU ms/entry | txn p50 ms | "
          "txn p95 ms | CPU s / wall s |")
    print("|---|---|---|---|---|---|---|---|")
    labels = {"spread": f"{args.writers} writers, {args.writers} insurers",
              "one": f"{args.writers} writers, 1 insurer", "single": "1 writer, 1 insurer"}
    for name, label in labels.items():
        rs = runs[name]
        print(f"| {label} | {fmt([x['rate'] for x in rs])} | {fmt([x['client_cpu_ms'] for x in rs], 2)} | "
              f"{fmt([x['backend_cpu_ms'] for x in rs], 2)} | {fmt([x['pair_cpu_ms'] for x in rs], 2)} | "
              f"{fmt([x['p50_ms'] for x in rs], 1)} | {fmt([x['p95_ms'] for x in rs], 1)} | "
              f"{statistics.median([x['cpu_s'] for x in rs]):.1f} / {statistics.median([x['wall'] for x in rs]):.1f} |")
    print(f"\nratio spread / one (target ≥ 3): {fmt(ratios, 2)}; each round: {', '.join(f'{x:.2f}' for x in ratios)}")
    for name in labels:
        shares = Counter()
        for done in runs[name]:
            shares.update({k: v / len(runs[name]) for k, v in done["waits"].items()})
        where = ", ".join(f"{k} {v:.1%}" for k, v in shares.most_common())
        print(f"where the {name} writers' backends were (pg_stat_activity samples, mean of rounds): {where}")
    print(f"verify_chain: ok={report.ok}, {report.checked} entries, {len(report.heads)} chains")
    print("verify_audit:", (audit.stdout + audit.stderr).strip().replace("\n", " / "))


if __name__ == "__main__":
    main()
