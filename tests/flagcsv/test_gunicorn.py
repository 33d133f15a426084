"""The settings CSV under the production server (gunicorn, gthread workers, as in the Dockerfile): a download that
outlives the worker timeout, its reader pausing while the server still has rows to send, is not killed, and its
transaction-bound cursor and audit entries behave across the server's threads."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from audit.models import AuditEntry
from tests.api.conftest import own_token
from tests.flagcsv.test_export_memory import bulk_settings

ROOT = Path(__file__).resolve().parents[2]
ROWS = 40_000  # about 10 MB: more than the socket buffers hold, so the server blocks while the reader pauses
WORKER_TIMEOUT = 2  # seconds; the reader pauses for twice that


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db):
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    if settings.get("PASSWORD"):
        url = url.replace("@", f":{settings['PASSWORD']}@", 1)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": "gunicorn-test-key-" + "x" * 40}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "nakama.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", "1", "--threads", "2", "--timeout", str(WORKER_TIMEOUT)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # wait until it accepts connections (start-up, not a timing assertion)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
        assert b"WORKER TIMEOUT" not in errors, errors.decode(errors="replace")[-2000:]


@pytest.mark.postgres
def test_download_outlives_the_worker_timeout_under_gthread(requires_postgres, gunicorn, sam, plain_member):
    bulk_settings(plain_member, ROWS)
    token = own_token(sam)  # a 責任者: only a token he made himself authenticates him
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=120)
    conn.connect()
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # a slow reader's small window
    conn.request("GET", "/api/v1/settings/export/?encoding=cp932", headers={"Authorization": f"Token {token}"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/csv; charset=Windows-31J"
    first = response.read(64 * 1024)
    time.sleep(2 * WORKER_TIMEOUT)  # a slow reader: the worker is mid-stream, blocked on the socket
    data = first + response.read()
    conn.close()
    assert data.decode("cp932").count("\r\n") == 1 + ROWS
    ended = AuditEntry.objects.get(action="settings_csv.exported")
    assert ended.after["complete"] is True and ended.after["rows"] == ROWS
    with connection.cursor() as cursor:  # the stream's transaction ended with it
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND state LIKE 'idle in transaction%%'")
        assert cursor.fetchone()[0] == 0
