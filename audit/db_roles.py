"""The two PostgreSQL roles Nakama runs with (see docs/operations.md).

- OWNER runs migrations and owns every table, sequence and trigger function. Nobody signs in as it day to day.
- RUNTIME is what the application connects as: not a superuser, owns nothing, cannot create anything, and holds only
  the grants it needs. It has no UPDATE, DELETE or TRUNCATE on the audit trail and no DELETE or TRUNCATE on
  exchange records, so with the triggers of the migrations (which it cannot drop or disable, not being the owner)
  the database itself keeps the trail and the records. It cannot set session_replication_role (superuser only).

The protections' own tables (settings, links, cases, four-eyes requests, staff, TOTP devices, API tokens) are listed
in audit/guarded.py: the runtime role loses DELETE (and UPDATE where only some columns may change), guard triggers
keep the columns that must not change, and a trail trigger writes every change of them to the hash-chained audit
trail, whoever makes it. This command attaches those triggers, so it must run after every `migrate`.

Idempotent: run it once as a superuser to create the roles, and again after every `migrate` (new tables get their
grants, append-only tables lose theirs again, partitions included).
"""

from dataclasses import dataclass

from django.db import connection

from audit.guarded import GUARDED, grant_sql, trigger_sql

# (table, privileges the runtime role must not have). Partitions of these tables are covered too.
APPEND_ONLY = {
    "audit_auditentry": ("UPDATE", "DELETE", "TRUNCATE"),
    "exchanges_exchangerecord": ("DELETE", "TRUNCATE"),
    "django_migrations": ("INSERT", "UPDATE", "DELETE", "TRUNCATE"),  # only the owner migrates
}
# Extensions the migrations use (`CREATE EXTENSION IF NOT EXISTS`): made here by the superuser, so the owner, who may
# not create extensions (no CREATE on the database), migrates a new database (tests/hostile/test_role_setup.py).
EXTENSIONS = ("pg_trgm", "btree_gin")
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


@dataclass(frozen=True)
class RoleNames:
    owner: str
    runtime: str


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _role_exists(name: str) -> bool:
    return bool(_fetch("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]))


def is_superuser(name: str) -> bool:
    return bool(_fetch("SELECT 1 FROM pg_roles WHERE rolname = %s AND rolsuper", [name]))


def plan(roles: RoleNames) -> list[tuple[str, list]]:
    """The statements to run, in order, for the database we are connected to (as (sql, params))."""
    owner, runtime = _q(roles.owner), _q(roles.runtime)
    db = _q(_fetch("SELECT current_database()")[0][0])
    steps: list[tuple[str, list]] = []
    for name in (roles.owner, roles.runtime):
        verb = "ALTER" if _role_exists(name) else "CREATE"
        steps.append((f"{verb} ROLE {_q(name)} {ROLE_ATTRIBUTES}", []))
    # Neither role may act as the other (SET ROLE) or inherit the other's rights.
    steps.append((f"REVOKE {owner} FROM {runtime}", []))
    steps.append((f"REVOKE {runtime} FROM {owner}", []))
    # PUBLIC (every role) may connect and create temporary objects by default: only our two roles may connect.
    steps.append((f"REVOKE ALL ON DATABASE {db} FROM PUBLIC", []))
    steps.append((f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}", []))
    steps.append((f"GRANT CONNECT ON DATABASE {db} TO {runtime}", []))
    steps.append((f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}", []))
    steps.append((f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {runtime}", []))
    steps.append((f"GRANT USAGE ON SCHEMA public TO {runtime}", []))
    steps += [(f"CREATE EXTENSION IF NOT EXISTS {_q(name)} SCHEMA public", []) for name in EXTENSIONS]

    # Everything in the schema belongs to the owner (tables carry their identity sequences with them).
    for relname, kind in _fetch(
        """SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
             AND pg_get_userbyid(c.relowner) <> %s
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')
                             AND c.relkind = 'S')
           ORDER BY c.relkind, c.relname""",
        [roles.owner],
    ):
        noun = {"S": "SEQUENCE", "v": "VIEW", "m": "MATERIALIZED VIEW"}.get(kind, "TABLE")
        steps.append((f"ALTER {noun} {_q(relname)} OWNER TO {owner}", []))
    for signature, in _fetch(
        """SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proname LIKE 'nakama\\_%%' AND pg_get_userbyid(p.proowner) <> %s""",
        [roles.owner],
    ):
        steps.append((f"ALTER FUNCTION {signature} OWNER TO {owner}", []))
    # Functions that run with the owner's rights (SECURITY DEFINER: making monthly partitions of exchange records)
    # are for the runtime role only, not for every role that might one day connect.
    for signature, in _fetch(
        """SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public' AND p.proname LIKE 'nakama\\_%%' AND p.prosecdef ORDER BY 1""",
    ):
        steps.append((f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC", []))
        steps.append((f"GRANT EXECUTE ON FUNCTION {signature} TO {runtime}", []))

    # The runtime role: read and write rows, nothing else; then take back what the append-only tables forbid.
    steps.append((f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {runtime}", []))
    steps.append((f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime}", []))
    steps.append((f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {runtime}", []))
    for table, privileges in APPEND_ONLY.items():
        # The table itself (when it exists) and every partition under it.
        for relname, in _fetch(
            """SELECT to_regclass(%s)::text WHERE to_regclass(%s) IS NOT NULL
               UNION SELECT relid::regclass::text FROM pg_partition_tree(to_regclass(%s))""",
            [f"public.{table}"] * 3,
        ):
            steps.append((f"REVOKE {', '.join(privileges)} ON {relname} FROM {runtime}", []))
    # The protections' tables (audit/guarded.py): guard and trail triggers, fewer grants.
    present = {name for name, in _fetch(
        "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relnamespace = 'public'::regnamespace",
        [list(GUARDED)],
    )}
    for table, guard in GUARDED.items():
        if table in present:
            steps += [(sql, []) for sql in trigger_sql(table, guard, _q)]
            steps += [(sql, []) for sql in grant_sql(table, guard, runtime, _q)]
    return steps


def apply(roles: RoleNames, *, owner_password: str = "", runtime_password: str = "") -> list[str]:
    """Run the plan (as a superuser) and set passwords when given. Returns the statements run, passwords masked."""
    if connection.vendor != "postgresql":
        raise RuntimeError("create_db_roles は PostgreSQL でのみ使えます。")
    done = []
    with connection.cursor() as cursor:
        for sql, params in plan(roles):
            cursor.execute(sql, params or None)
            done.append(sql)
        for name, password in ((roles.owner, owner_password), (roles.runtime, runtime_password)):
            if password:
                cursor.execute(f"ALTER ROLE {_q(name)} PASSWORD %s", [password])
                done.append(f"ALTER ROLE {_q(name)} PASSWORD '********'")
    return done
