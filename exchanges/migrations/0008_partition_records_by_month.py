"""情報提供等記録 partitioned by month (issue 12 point 5): PostgreSQL declarative partitioning on inquired_at.

- One partition per calendar month in JST (`exchanges_exchangerecord_p2026_11` holds 2026-11-01 00:00+09 up to
  2026-12-01 00:00+09) and a DEFAULT partition, so an inquiry is never refused for want of a partition; the
  partitions are created ahead by `manage.py exchange_partitions` (and here: every month that holds records, and
  three months ahead).
- A primary key on a partitioned table must contain the partition key: it is (id, inquired_at). The id stays a
  random UUID, unique by construction; Django still reads and writes by id.
- AppendRequest's foreign key becomes (record_id, record_inquired_at) → (id, inquired_at); a record referenced by a
  追記依頼 keeps its partition attached (DETACH refuses).
- The triggers of 0004 (no DELETE, a 不開示コード never taken off) are attached to the partitioned table, so every
  partition carries them, ENABLE ALWAYS on each. A record cannot move to another month either: PostgreSQL runs such
  an UPDATE as a DELETE on the old partition, which the trigger refuses.
- Partitions are made by `nakama_exchange_partition(month)`, SECURITY DEFINER: the runtime role (which may create
  nothing) gets next month's partition from the owner, with the triggers, and nothing else. DETACH (retention)
  needs the table's owner.

SQLite (the demo) keeps the plain table.
"""

from django.conf import settings
from django.db import migrations, models

TABLE = "exchanges_exchangerecord"

FUNCTIONS_SQL = r"""
-- A partition's indexes carry the name of the table's index they belong to (exchange_subject_time_idx_p2026_11),
-- so a plan names the index the model declares.
CREATE OR REPLACE FUNCTION nakama_exchange_partition_index_names(part text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    suffix text := '_' || substr(part, length('exchanges_exchangerecord_') + 1);
    child text;
    parent text;
BEGIN
    FOR child, parent IN
        SELECT c.relname, p.relname FROM pg_index x
        JOIN pg_class c ON c.oid = x.indexrelid
        JOIN pg_inherits i ON i.inhrelid = x.indexrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE x.indrelid = part::regclass
    LOOP
        IF child <> left(parent, 63 - length(suffix)) || suffix THEN
            EXECUTE format('ALTER INDEX %I RENAME TO %I', child, left(parent, 63 - length(suffix)) || suffix);
        END IF;
    END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION nakama_exchange_partition(month_start date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part text := format('exchanges_exchangerecord_p%s', to_char(month_start, 'YYYY_MM'));
    lower_bound timestamptz := month_start::timestamp AT TIME ZONE 'Asia/Tokyo';
    upper_bound timestamptz := (month_start + interval '1 month')::timestamp AT TIME ZONE 'Asia/Tokyo';
BEGIN
    IF month_start IS NULL OR date_trunc('month', month_start)::date <> month_start THEN
        RAISE EXCEPTION 'nakama_exchange_partition: % is not the first day of a month', month_start;
    END IF;
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    IF EXISTS (SELECT 1 FROM exchanges_exchangerecord_default
               WHERE inquired_at >= lower_bound AND inquired_at < upper_bound) THEN
        RAISE EXCEPTION 'records of % are in the default partition: move them before creating % (docs/operations.md)',
            to_char(month_start, 'YYYY-MM'), part;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF exchanges_exchangerecord FOR VALUES FROM (%L) TO (%L)',
                   part, lower_bound, upper_bound);
    PERFORM nakama_exchange_partition_index_names(part);
    -- Cloned row triggers: make sure they fire under session_replication_role=replica too.
    EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER nakama_exchange_record_no_delete', part);
    EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER nakama_exchange_nondisclosure_sticky', part);
    RETURN part;
END;
$$;

CREATE OR REPLACE FUNCTION nakama_exchange_partitions(first_month date, last_month date) RETURNS SETOF text
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT nakama_exchange_partition(m::date)
    FROM generate_series(date_trunc('month', first_month), date_trunc('month', last_month), interval '1 month') m
$$;
"""

DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS nakama_exchange_partitions(date, date);
DROP FUNCTION IF EXISTS nakama_exchange_partition(date);
DROP FUNCTION IF EXISTS nakama_exchange_partition_index_names(text);
"""

TRIGGERS = ("nakama_exchange_record_no_delete", "nakama_exchange_nondisclosure_sticky")
TRIGGERS_SQL = """
CREATE TRIGGER nakama_exchange_record_no_delete BEFORE DELETE ON exchanges_exchangerecord
    FOR EACH ROW EXECUTE FUNCTION nakama_exchange_record_no_delete();
CREATE TRIGGER nakama_exchange_nondisclosure_sticky BEFORE UPDATE ON exchanges_exchangerecord
    FOR EACH ROW EXECUTE FUNCTION nakama_exchange_nondisclosure_sticky();
ALTER TABLE exchanges_exchangerecord ENABLE ALWAYS TRIGGER nakama_exchange_record_no_delete;
ALTER TABLE exchanges_exchangerecord ENABLE ALWAYS TRIGGER nakama_exchange_nondisclosure_sticky;
"""

APPEND_FK = "exchanges_appendrequest_record_fk"


def _rebuild(cursor, *, partitioned: bool) -> None:
    """Recreate the records table (partitioned by month or plain) with the same columns, rows, indexes, checks,
    foreign keys and triggers. Index and constraint definitions are read from the catalogue, so whatever the
    earlier migrations made is kept exactly."""
    cursor.execute(
        """SELECT indexdef FROM pg_indexes i
           WHERE schemaname = 'public' AND tablename = %s
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conrelid = %s::regclass AND c.conindid = to_regclass(i.indexname)
                               AND c.contype IN ('p', 'u'))""",
        [TABLE, TABLE],
    )
    index_defs = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
        [TABLE],
    )
    constraints = cursor.fetchall()
    if any(contype == "u" for _, contype, _ in constraints):
        raise RuntimeError("a unique constraint on exchange records would need inquired_at: add it by hand")
    foreign_keys = [(name, definition) for name, contype, definition in constraints if contype == "f"]
    cursor.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f' "
        "AND conrelid <> 'exchanges_appendrequest'::regclass",
        [TABLE],
    )
    if cursor.fetchall():
        raise RuntimeError("another table has a foreign key into exchange records: it needs (id, inquired_at)")
    cursor.execute(f"SELECT min(inquired_at), max(inquired_at) FROM {TABLE}")
    first, last = cursor.fetchone()

    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {TABLE}_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)"
        + (" PARTITION BY RANGE (inquired_at)" if partitioned else "")
    )
    if partitioned:
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    # Triggers before the partitions, so partitions created by the function get them cloned.
    for trigger in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {TABLE}_old")
    cursor.execute(TRIGGERS_SQL)
    if partitioned:
        cursor.execute(FUNCTIONS_SQL)
        cursor.execute(
            "SELECT count(*) FROM nakama_exchange_partitions("
            "  (coalesce(%s, now()) AT TIME ZONE 'Asia/Tokyo')::date,"
            "  ((greatest(coalesce(%s, now()), now()) AT TIME ZONE 'Asia/Tokyo') + interval '3 months')::date)",
            [first, last],
        )
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_old")
    cursor.execute(f"ALTER TABLE exchanges_appendrequest DROP CONSTRAINT IF EXISTS {APPEND_FK}")
    cursor.execute(f"DROP TABLE {TABLE}_old CASCADE")  # its indexes and the old foreign key into it go with it
    if partitioned:
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, inquired_at)")
    else:
        cursor.execute(DROP_FUNCTIONS_SQL)
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)")
    for definition in index_defs:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    if partitioned:
        cursor.execute(
            "SELECT nakama_exchange_partition_index_names(inhrelid::regclass::text) FROM pg_inherits "
            "WHERE inhparent = %s::regclass",
            [TABLE],
        )
    # The new partitions have no statistics until autovacuum reaches them; without, the first plans are guesses.
    cursor.execute(f"ANALYZE {TABLE}")
    if partitioned:  # unpartitioned, Django's own foreign key comes back with the AlterField's reverse
        cursor.execute(
            f"ALTER TABLE exchanges_appendrequest ADD CONSTRAINT {APPEND_FK} FOREIGN KEY (record_id, record_inquired_at)"
            f" REFERENCES {TABLE} (id, inquired_at) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED"
        )


def partition_records(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=True)


def unpartition_records(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=False)


def fill_record_inquired_at(apps, schema_editor):
    AppendRequest = apps.get_model("exchanges", "AppendRequest")
    ExchangeRecord = apps.get_model("exchanges", "ExchangeRecord")
    AppendRequest.objects.update(
        record_inquired_at=models.Subquery(
            ExchangeRecord.objects.filter(pk=models.OuterRef("record_id")).values("inquired_at")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("exchanges", "0007_append_request_states"),
        ("flags", "0009_handovers"),
        ("members", "0003_member_name_kana_trigram"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appendrequest",
            name="record_inquired_at",
            field=models.DateTimeField(null=True, editable=False, verbose_name="記録の照会日時"),
        ),
        migrations.RunPython(fill_record_inquired_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="appendrequest",
            name="record_inquired_at",
            field=models.DateTimeField(editable=False, verbose_name="記録の照会日時"),
        ),
        # The database's foreign key is the composite one made below (PostgreSQL); Django keeps the relation.
        migrations.AlterField(
            model_name="appendrequest",
            name="record",
            field=models.ForeignKey(
                db_constraint=False, on_delete=models.deletion.PROTECT, related_name="append_requests",
                to="exchanges.exchangerecord", verbose_name="情報提供等記録",
            ),
        ),
        # Foreign keys nothing reads records by: their indexes go before the rebuild (fewer indexes per partition).
        migrations.AlterField(
            model_name='exchangerecord',
            name='inquired_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='照会者'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='inquirer_department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.PROTECT, related_name='+', to='institutions.department', verbose_name='照会部署'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='inquiry_code_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='照会時コード設定者'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='inquiry_code_case',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.PROTECT, related_name='+', to='flags.protectioncase', verbose_name='照会時コードの根拠（設定対象者）'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='item',
            field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT, related_name='+', to='members.infoitem', verbose_name='特定個人情報'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='procedure',
            field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT, related_name='+', to='members.procedure', verbose_name='事務'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='provision_code_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提供時コード設定者'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='replica',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.PROTECT, related_name='+', to='members.replica', verbose_name='提供元の副本'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='responded_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='手動応答者'),
        ),
        migrations.RunPython(partition_records, unpartition_records),
    ]
