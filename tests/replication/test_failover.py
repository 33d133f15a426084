"""Issue 20 ②: a failover under load, tested and honest.

gunicorn serves Nakama with DATABASE_URL naming both servers (libpq multi-host, target_session_attrs=read-write).
Clients send inquiries about the victim (each one must carry 不開示コード), each with its own Idempotency-Key, and
retry the same key after a 503. Mid-load the primary is stopped with `pg_ctl stop -m immediate` (commits in flight
are in doubt), and a moment later the standby is promoted. Then, on the promoted server:
- every inquiry answered 2xx — before or after the crash — is there, coded, exactly once per key;
- while the database was away the API answered 503 with Retry-After and its JSON error, never a 500;
- the service came back within 10 s of the crash, without restarting gunicorn;
- `verify_audit` finds the trail whole.
"""

import threading
import time
from collections import Counter

from tests.replication.conftest import DB, api, app_env, gunicorn, manage, seed
from tests.support.pgpair import PgPair

CLIENTS = 4
BEFORE_CRASH = 40  # answered inquiries before the primary is stopped
AFTER_CRASH = 40  # and after the service is back
OUTAGE_SECONDS = 1.5  # between the crash and the promotion: the window in which clients must get 503
SERVICE_BACK_WITHIN = 10.0


class Load:
    def __init__(self, base: str, token: str, body: dict):
        self.base, self.token, self.body = base, token, body
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.answered: dict[str, tuple[str, float]] = {}  # key -> (record id, when answered)
        self.responses: list[tuple[int, str, str | None, float]] = []  # status, code, Retry-After, when

    def client(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            key = f"failover-{n}-{i}"
            while True:
                try:
                    status, payload, headers = api(self.base, self.token, "POST", "inquiries/", self.body,
                                                   **{"Idempotency-Key": key})
                except OSError as error:  # gunicorn itself never goes away in this test
                    status, payload, headers = -1, {"code": repr(error)}, {}
                now = time.monotonic()
                with self.lock:
                    self.responses.append((status, payload.get("code", ""), headers.get("Retry-After"), now))
                if 200 <= status < 300:
                    with self.lock:
                        self.answered[key] = (payload["id"], now)
                    break
                if status != 503:
                    return  # anything else is a failure the assertions report
                time.sleep(0.2)
            i += 1

    def count_answered_since(self, since: float) -> int:
        with self.lock:
            return sum(1 for _, at in self.answered.values() if at > since)


def _sql_list(values) -> str:
    return ",".join(f"'{v}'" for v in values)


def _same_inquiries(city_id: int) -> str:
    """Inquiries like the clients' (about the victim, to 甲市, the same 事務 and item), counted in SQL."""
    return f"""SELECT count(*) FROM exchanges_exchangerecord r JOIN members_person p ON p.id = r.subject_id
               WHERE p.sim_id = 'SIM-HANA-KOSA' AND r.provider_id = {city_id}
                 AND r.procedure_id = (SELECT id FROM members_procedure WHERE code = 'kenpo_benefit')
                 AND r.item_id = (SELECT id FROM members_infoitem WHERE code = 'local_tax')"""


def test_failover_loses_nothing_duplicates_nothing_and_answers_503_meanwhile():
    with PgPair.start() as pair:
        token = seed(pair)
        env = app_env(DATABASE_URL=pair.multi_host_url(DB))
        with gunicorn(env, workers=2, threads=4) as base:
            status, institutions, _ = api(base, token, "GET", "institutions/")
            assert status == 200, institutions
            rows = institutions["results"] if isinstance(institutions, dict) else institutions
            city = next(i for i in rows if i["name"] == "甲市")
            body = {"procedure": "kenpo_benefit", "item": "local_tax", "provider": city["id"], "member": "A0000001"}
            already = int(pair.psql(pair.primary_port, _same_inquiries(city["id"]), db=DB))  # the demo's own
            load = Load(base, token, body)
            threads = [threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(CLIENTS)]
            for thread in threads:
                thread.start()

            deadline = time.monotonic() + 180
            while load.count_answered_since(0) < BEFORE_CRASH and time.monotonic() < deadline:
                time.sleep(0.05)
            answered_before_crash = dict(load.answered)
            crashed_at = time.monotonic()
            pair.stop_primary_immediately()
            time.sleep(OUTAGE_SECONDS)
            pair.promote_standby()
            while load.count_answered_since(crashed_at) < AFTER_CRASH and time.monotonic() < deadline:
                time.sleep(0.05)
            load.stop.set()
            for thread in threads:
                thread.join(60)

        statuses = Counter(status for status, *_ in load.responses)
        assert set(statuses) <= {201, 200, 503}, statuses  # never a 500, never a dropped connection
        outage = [r for r in load.responses if r[0] == 503]
        assert outage, "no client was answered while the database was away"
        assert all(code == "database_unavailable" and retry_after for _, code, retry_after, _ in outage), outage[:5]
        # The outage ends with the last 503: every answer after it was a 2xx.
        back_at = max(at for *_, at in outage)
        assert back_at - crashed_at <= SERVICE_BACK_WITHIN, f"service back after {back_at - crashed_at:.1f} s"
        assert load.count_answered_since(crashed_at) >= AFTER_CRASH

        # The promoted server (the former standby) holds every answered inquiry, once per key, all coded.
        ids = [record_id for record_id, _ in load.answered.values()]
        assert len(set(ids)) == len(ids) == len(load.answered)
        assert set(answered_before_crash) <= set(load.answered)
        port = pair.standby_port
        found = pair.psql(port, f"""SELECT count(*), count(*) FILTER (WHERE inquiry_code)
                                    FROM exchanges_exchangerecord WHERE id IN ({_sql_list(ids)})""", db=DB)
        assert found == f"{len(ids)}|{len(ids)}", found
        keys = pair.psql(port, "SELECT count(*) FROM api_idempotencykey WHERE key LIKE 'failover-%'", db=DB)
        assert int(keys) == len(load.answered)  # a retried key that committed before the crash was not sent twice
        made = int(pair.psql(port, _same_inquiries(city["id"]), db=DB)) - already
        assert made == len(load.answered)  # no inquiry sent without an answer the client kept

        print(f"failover: {len(load.answered)} inquiries answered, {len(outage)} × 503 while away, service back "
              f"{back_at - crashed_at:.2f} s after the crash (promotion {OUTAGE_SECONDS} s after it)")
        verify = manage("verify_audit", env=app_env(DATABASE_URL=pair.standby_url(DB)), check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
