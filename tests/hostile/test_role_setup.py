"""Issue 18 ⑤: the role set-up of docs/operations.md (and compose's `setup` service) works on a new, empty database.

The steps, as documented: `create_db_roles` as the superuser (roles, grants and the extensions the migrations use),
`migrate` signed in as the owner role, `create_db_roles` again. Then the runtime role, signed in as itself, is
refused what it must not do, and the whole role guarantee suite runs against that database. On main the migration
stopped at members/0003: the owner may not create the extension pg_trgm.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import errors

from audit.db_roles import EXTENSIONS

ROOT = Path(__file__).resolve().parents[2]
# The suites that prove what the roles guarantee; each runs against the database made by the documented steps.
GUARANTEE_SUITES = ["tests/exchanges/test_database_guarantees.py", "tests/test_db_guard.py"]


def _server() -> dict:
    s = connection.settings_dict
    return {"host": s.get("HOST") or "127.0.0.1", "port": int(s.get("PORT") or 5432),
            "user": s.get("USER") or "postgres", "password": s.get("PASSWORD") or ""}


def _url(user: str, password: str, dbname: str) -> str:
    server = _server()
    login = f"{user}:{password}" if password else user
    return f"postgres://{login}@{server['host']}:{server['port']}/{dbname}"


def _admin(sql: str) -> None:
    """CREATE/DROP DATABASE and DROP ROLE: outside any transaction, as the test suite's superuser."""
    server = _server()
    conn = psycopg2.connect(dbname="postgres", **server)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def _manage(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"NAKAMA_DB_OWNER_PASSWORD", "NAKAMA_DB_RUNTIME_PASSWORD"}}
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "DATABASE_URL": database_url, "PGPASSWORD": "", **env})
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr[-3000:]}"
    return done


def test_every_extension_the_migrations_create_is_made_by_the_superuser_step():
    made = set()
    for migration in ROOT.glob("*/migrations/*.py"):
        made |= {m.lower() for m in re.findall(r"CREATE EXTENSION (?:IF NOT EXISTS )?\"?(\w+)", migration.read_text(),
                                               flags=re.IGNORECASE)}
    assert made and made <= set(EXTENSIONS)


def test_compose_setup_runs_the_documented_steps_in_order():
    compose = (ROOT / "docker-compose.yml").read_text()
    command = re.search(r"setup:.*?command: >\n(.*?)\n    restart:", compose, flags=re.S).group(1)
    steps = [re.sub(r"\s+", " ", step).strip(' "') for step in command.split("&&")]
    assert [s.split("python manage.py ")[1].split()[0] for s in steps] == ["create_db_roles", "migrate",
                                                                          "create_db_roles"]
    assert "SUPERUSER_URL" in steps[0] and "OWNER_URL" in steps[1] and "SUPERUSER_URL" in steps[2]


@pytest.fixture
def fresh_database(requires_postgres):
    """An empty database named after the test database (pytest-django's `test_` prefix, so the guarantee suite run
    with --reuse-db finds it), its two roles named as that suite names them; all dropped afterwards."""
    base = f"{connection.settings_dict['NAME']}_rolesetup"
    name = f"test_{base}"
    owner, runtime = f"{name}_owner", f"{name}_app"
    cleanup = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{owner}"',
               f'DROP ROLE IF EXISTS "{runtime}"']
    for sql in cleanup:
        _admin(sql)
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield {"name": name, "base": base, "owner": owner, "runtime": runtime}
    finally:
        for sql in cleanup:
            _admin(sql)


def test_documented_role_setup_migrates_an_empty_database_as_the_owner(fresh_database):
    name, owner, runtime = fresh_database["name"], fresh_database["owner"], fresh_database["runtime"]
    server = _server()
    superuser = _url(server["user"], server["password"], name)
    passwords = {"NAKAMA_DB_OWNER_PASSWORD": "owner-pw-of-the-test", "NAKAMA_DB_RUNTIME_PASSWORD": "app-pw-of-the-test"}
    names = ["--owner", owner, "--runtime", runtime]

    # docs/operations.md "Database roles", step by step.
    _manage("create_db_roles", *names, database_url=superuser, **passwords)
    as_owner = _url(owner, passwords["NAKAMA_DB_OWNER_PASSWORD"], name)
    _manage("migrate", "--noinput", database_url=as_owner)
    _manage("create_db_roles", *names, database_url=superuser)
    _manage("migrate", "--check", database_url=as_owner)  # nothing left to apply

    admin = psycopg2.connect(dbname=name, **server)
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT extname FROM pg_extension")
            assert set(EXTENSIONS) <= {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
            assert cursor.fetchall() == [(owner,)]
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone()[0] > 20
    finally:
        admin.close()

    # The application's role, signed in as itself (not SET ROLE): it works, and it is refused what it must not do.
    app = psycopg2.connect(dbname=name, host=server["host"], port=server["port"], user=runtime,
                           password=passwords["NAKAMA_DB_RUNTIME_PASSWORD"])
    try:
        for sql, error in [
            ("SELECT count(*) FROM audit_auditentry", None),
            ("SELECT count(*) FROM members_member WHERE nakama_tripled(name) LIKE '%佐佐佐%'", None),
            ("UPDATE audit_auditentry SET message = 'x'", errors.InsufficientPrivilege),
            ("DELETE FROM exchanges_exchangerecord", errors.InsufficientPrivilege),
            ("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
             errors.InsufficientPrivilege),
            ("CREATE TABLE nakama_shadow (id int)", errors.InsufficientPrivilege),
            ("ALTER TABLE audit_auditentry DISABLE TRIGGER nakama_audit_append_only", errors.InsufficientPrivilege),
            ("CREATE EXTENSION IF NOT EXISTS hstore", errors.InsufficientPrivilege),
        ]:
            with app.cursor() as cursor:
                if error is None:
                    cursor.execute(sql)
                    app.rollback()
                else:
                    with pytest.raises(error):
                        cursor.execute(sql)
                    app.rollback()
    finally:
        app.close()

    # The whole role guarantee suite, against this database (pytest-django reuses it: test_<base>).
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", *GUARANTEE_SUITES, "-q", "-p", "no:cacheprovider", "--reuse-db"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": _url(server["user"], server["password"], fresh_database["base"]),
             "PGPASSWORD": server["password"]},
    )
    assert suite.returncode == 0, suite.stdout[-5000:] + suite.stderr[-2000:]
    assert re.search(r"\d+ passed", suite.stdout) and " skipped" not in suite.stdout, suite.stdout[-2000:]
