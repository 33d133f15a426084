"""One statement for the chain lock and the hash to link to (issue 12 point 2): `nakama_audit_chain_head(key)`
takes the chain's advisory lock, then reads the last entry's hash. The function is VOLATILE, so its second query
runs with a fresh snapshot taken after the lock is granted and sees every entry committed while it waited (a
plain `SELECT lock, (SELECT last hash)` would read with the snapshot of its start and could link to a stale head).
PostgreSQL only; SQLite serialises writers by itself and reads the head with an ordinary query.
"""

from django.db import migrations

CREATE_SQL = """
CREATE OR REPLACE FUNCTION nakama_audit_chain_head(lock_key bigint) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(lock_key);
    SELECT entry_hash FROM audit_auditentry ORDER BY id DESC LIMIT 1;
$$;
"""
DROP_SQL = "DROP FUNCTION IF EXISTS nakama_audit_chain_head(bigint);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_chain")]

    operations = [migrations.RunPython(create, drop)]
