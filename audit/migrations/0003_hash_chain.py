"""Replace pgtrigger's Protect (which honours `SET pgtrigger.ignore`, a setting any role can change) by a plain SQL
trigger, and link every entry to the one before it (hash chain; existing entries are chained in id order here).

The trigger is ENABLE ALWAYS, so it fires under session_replication_role=replica too. PostgreSQL only: on SQLite
the append-only rule rests on the application and the chain.
"""

import django.utils.timezone
import pgtrigger.migrations
from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION nakama_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Cannot update or delete rows of % (監査証跡は追記のみ)', TG_TABLE_NAME;
END;
$$;
DROP TRIGGER IF EXISTS nakama_audit_append_only ON audit_auditentry;
CREATE TRIGGER nakama_audit_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION nakama_audit_append_only();
ALTER TABLE audit_auditentry ENABLE ALWAYS TRIGGER nakama_audit_append_only;
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS nakama_audit_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS nakama_audit_append_only();
"""


def chain_existing_entries(apps, schema_editor):
    from audit.chain import GENESIS, entry_hash

    AuditEntry = apps.get_model("audit", "AuditEntry")
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        entry.prev_hash = prev
        entry.entry_hash = prev = entry_hash(entry, prev)
        entry.save(update_fields=["prev_hash", "entry_hash"])


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_initial'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='auditentry',
            name='audit_append_only',
        ),
        migrations.AddField(
            model_name='auditentry',
            name='entry_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='記録のハッシュ'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='直前の記録のハッシュ'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='日時'),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
        migrations.RunPython(install_trigger, remove_trigger),
    ]
