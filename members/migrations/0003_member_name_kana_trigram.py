"""氏名・カナ氏名 contains search served by a pg_trgm GIN index (PostgreSQL only; SQLite keeps its plain LIKE).

pg_trgm extracts no trigram from a one- or two-character pattern (a surname such as 佐藤 is two), so an index
on the bare column cannot serve the most common search. The index is built on every character written three
times (佐藤 → 佐佐佐藤藤藤): a pattern of any length then has trigrams, and `tripled(name)` contains
`tripled(q)` exactly when `name` contains `q` (tests/console/test_search_indexes.py checks the equivalence).
The insurer leads each index (btree_gin), so a search reads only the caller's insurer's entries instead of fetching
every insurer's matches from the heap and dropping them (bench/RESULTS.md: 「松本」 157 → 29 ms at 1M members).
pg_trgm and btree_gin are trusted extensions (PostgreSQL 13+): the database owner may create them.
"""

from django.db import migrations

TRIPLED_FUNCTION = """
CREATE OR REPLACE FUNCTION nakama_tripled(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(value, '(.)', '\\1\\1\\1', 'g') $$;
"""

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    TRIPLED_FUNCTION,
    "CREATE INDEX IF NOT EXISTS member_name_trgm_idx ON members_member "
    "USING gin (insurer_id, nakama_tripled(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_kana_trgm_idx ON members_member "
    "USING gin (insurer_id, nakama_tripled(kana) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS member_kana_trgm_idx",
    "DROP INDEX IF EXISTS member_name_trgm_idx",
    "DROP FUNCTION IF EXISTS nakama_tripled(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("members", "0002_catalogue")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
