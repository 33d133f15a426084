"""Replace pgtrigger's Protect (which honours `SET pgtrigger.ignore`, a setting any role can change) by plain SQL
triggers: the NWS never forgets an exchange record, and a 不開示コード (inquiry_code, provision_code) or an applied
追記依頼 (appended_nondisclosure_at) once on a record is never taken off.

Named functions, so the same triggers can be attached to a partitioned exchange-record table later. ENABLE ALWAYS,
so they fire under session_replication_role=replica too. PostgreSQL only (SQLite: the application's guard).
"""

import pgtrigger.migrations
from django.db import migrations

TRIGGERS_SQL = """
CREATE OR REPLACE FUNCTION nakama_exchange_record_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Cannot delete rows of % (情報提供等記録は削除できません)', TG_TABLE_NAME;
END;
$$;
CREATE OR REPLACE FUNCTION nakama_exchange_nondisclosure_sticky() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.inquiry_code AND NEW.inquiry_code IS DISTINCT FROM true)
       OR (OLD.provision_code AND NEW.provision_code IS DISTINCT FROM true) THEN
        RAISE EXCEPTION 'Cannot remove 不開示コード from % %', TG_TABLE_NAME, OLD.id;
    END IF;
    IF OLD.appended_nondisclosure_at IS NOT NULL
       AND NEW.appended_nondisclosure_at IS DISTINCT FROM OLD.appended_nondisclosure_at THEN
        RAISE EXCEPTION 'Cannot change an applied 追記依頼 on % %', TG_TABLE_NAME, OLD.id;
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS nakama_exchange_record_no_delete ON exchanges_exchangerecord;
CREATE TRIGGER nakama_exchange_record_no_delete BEFORE DELETE ON exchanges_exchangerecord
    FOR EACH ROW EXECUTE FUNCTION nakama_exchange_record_no_delete();
ALTER TABLE exchanges_exchangerecord ENABLE ALWAYS TRIGGER nakama_exchange_record_no_delete;
DROP TRIGGER IF EXISTS nakama_exchange_nondisclosure_sticky ON exchanges_exchangerecord;
CREATE TRIGGER nakama_exchange_nondisclosure_sticky BEFORE UPDATE ON exchanges_exchangerecord
    FOR EACH ROW EXECUTE FUNCTION nakama_exchange_nondisclosure_sticky();
ALTER TABLE exchanges_exchangerecord ENABLE ALWAYS TRIGGER nakama_exchange_nondisclosure_sticky;
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS nakama_exchange_record_no_delete ON exchanges_exchangerecord;
DROP TRIGGER IF EXISTS nakama_exchange_nondisclosure_sticky ON exchanges_exchangerecord;
DROP FUNCTION IF EXISTS nakama_exchange_record_no_delete();
DROP FUNCTION IF EXISTS nakama_exchange_nondisclosure_sticky();
"""


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS_SQL, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('exchanges', '0003_guard_base_manager_no_delete'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='exchangerecord',
            name='exchange_record_no_delete',
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
