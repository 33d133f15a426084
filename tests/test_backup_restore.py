"""Issue 9 ⑨: the backup in docs/operations.md restores. pg_dump the test database, pg_restore it into a new
database, and check it as the document says: verify_audit passes, every table has the same number of rows, the
protecting triggers are there and ALWAYS enabled. The new database is dropped afterwards."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.db import connection

from audit.models import AuditEntry
from flags.policy import SettingKind
from flags.services import request_clearing, set_setting

ROOT = Path(__file__).resolve().parent.parent
TRIGGERS = {"nakama_audit_append_only", "nakama_audit_chain", "nakama_exchange_record_no_delete", "nakama_exchange_nondisclosure_sticky"}


def _pg_env() -> tuple[dict, list[str]]:
    s = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    args = ["-h", s.get("HOST") or "127.0.0.1", "-p", str(s.get("PORT") or 5432), "-U", s.get("USER") or "postgres"]
    return env, args


def _connect(dbname: str):
    s = connection.settings_dict
    return psycopg2.connect(dbname=dbname, host=s.get("HOST") or "127.0.0.1", port=s.get("PORT") or 5432,
                            user=s.get("USER") or "postgres", password=s.get("PASSWORD") or "")


def _row_counts(dbname: str) -> dict[str, int]:
    tables = sorted(m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy)
    with _connect(dbname) as conn, conn.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


@pytest.mark.django_db(transaction=True)
def test_dump_restores_into_a_new_database_that_verifies(requires_postgres, flushed_catalogue, alice, sam, victim,
                                                        tmp_path):
    setting = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
    request_clearing(actor=alice, setting=setting, reason="カード停止の完了を確認")
    assert AuditEntry.objects.count() >= 2

    source = connection.settings_dict["NAME"]
    target = f"{source}_restore"
    env, args = _pg_env()
    dump = tmp_path / "nakama.dump"
    subprocess.run(["pg_dump", *args, "--format=custom", f"--file={dump}", source], env=env, check=True)
    subprocess.run(["dropdb", *args, "--if-exists", target], env=env, check=True)
    subprocess.run(["createdb", *args, target], env=env, check=True)
    try:
        subprocess.run(["pg_restore", *args, "--no-owner", "--no-acl", "--exit-on-error", f"--dbname={target}",
                        str(dump)], env=env, check=True)
        s = connection.settings_dict
        user = s.get("USER") or "postgres"  # the password, if any, travels in PGPASSWORD
        url = f"postgres://{user}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{target}"
        verified = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env={**env, "DATABASE_URL": url},
            capture_output=True, text=True,
        )
        assert verified.returncode == 0, verified.stderr
        assert f"OK: {AuditEntry.objects.count()} 件" in verified.stdout

        assert _row_counts(target) == _row_counts(source)
        with _connect(target) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'nakama\\_%%'")
            triggers = dict(cursor.fetchall())
        conn.close()
        assert set(triggers) == TRIGGERS and set(triggers.values()) == {"A"}  # A: ENABLE ALWAYS
    finally:
        subprocess.run(["dropdb", *args, "--if-exists", "--force", target], env=env, check=True)
