"""The audit trail is append-only: the admin cannot change it, and on PostgreSQL the database refuses it."""

import pytest
from django.db import InternalError, connection, transaction

from audit.models import AuditEntry
from audit.services import record


def test_record_copies_actor_name_and_insurer(alice):
    entry = record(actor=alice, action="test.act", target=alice.institution, message="理由")
    assert entry.actor_name == "アリス 担当" and entry.institution == alice.institution
    assert entry.target_type == "institutions.Institution" and entry.target_id == str(alice.institution.pk)


def test_sql_update_of_an_audit_row_fails_on_postgres(requires_postgres, alice):
    entry = record(actor=alice, action="test.act", message="元の理由")
    with pytest.raises(InternalError, match="Cannot update"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET message = %s WHERE id = %s", ["改ざん", entry.pk])
    with pytest.raises(InternalError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    with pytest.raises(InternalError):
        with transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(message="改ざん")
    entry.refresh_from_db()
    assert entry.message == "元の理由"
