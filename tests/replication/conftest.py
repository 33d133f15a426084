"""A real primary/standby pair (tests/support/pgpair.py) with the demo world migrated onto it, and gunicorn serving
Nakama against it: the replica and failover tests of issue 20 talk to it over HTTP, as an insurer's system would.

These tests need no Django test database: the application under test is a separate process with its own settings.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.pgpair import PgPair, free_port, pg_bin

ROOT = Path(__file__).resolve().parents[2]
SIM_KEY = "replication-test-simulation-key-0123456789"
DB = "nakama"


def app_env(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "NAKAMA_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "nakama.settings_test",
        "NAKAMA_SIM_API": "true",
        "NAKAMA_SIM_KEY": SIM_KEY,
        "PORTAL_THROTTLE_RATE": "100000/min",
        "TOKEN_THROTTLE_RATE": "100000/min",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "60",
    })
    env.update(overrides)
    return env


def manage(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    if check and done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def seed(pair: PgPair) -> str:
    """Migrate the pair's primary, build the demo world and return a clerk's API token (a_clerk of Ａ健康保険組合)."""
    pair.create_database(DB)
    env = app_env(DATABASE_URL=pair.primary_url(DB))
    manage("migrate", "--no-input", env=env)
    manage("seed_demo", env=env)
    out = manage("create_api_token", "a_clerk", env=env).stdout
    return out.strip()


@pytest.fixture(scope="module", autouse=True)
def _server_binaries():
    """These tests start clusters of their own: they need PostgreSQL's server binaries (initdb, pg_ctl), which a
    machine with only a client may lack (skipped then; .ci/run forbids skips)."""
    try:
        pg_bin()
    except RuntimeError as exc:
        pytest.skip(f"needs PostgreSQL server binaries: {exc}")


@pytest.fixture(scope="module")
def pair():
    with PgPair.start() as pair:
        pair.token = seed(pair)
        yield pair


@contextmanager
def gunicorn(env: dict, *, workers: int = 2, threads: int = 4):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "nakama.wsgi:application", "-k", "gthread", "--workers", str(workers),
         "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--timeout", "60"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{proc.stdout.read()}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def call(base: str, method: str, path: str, body: dict | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, dict, dict]:
    """(status, JSON body, headers) of one request; HTTP errors are answers too."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw, status, head = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, head = error.read(), error.code, dict(error.headers)
    try:
        payload = json.loads(raw) if raw else {}
    except ValueError:
        payload = {"_raw": raw.decode(errors="replace")[:500]}
    return status, payload, head


def sim(base: str, path: str, body: dict) -> tuple[int, dict, dict]:
    return call(base, "POST", f"/api/sim/{path}", body, {"X-Nakama-Sim-Key": SIM_KEY})


def api(base: str, token: str, method: str, path: str, body: dict | None = None, **headers: str):
    return call(base, method, f"/api/v1/{path}", body, {"Authorization": f"Token {token}", **headers})
