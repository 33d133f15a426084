"""institutions 0004: each existing account gets the provenance the database already knows (issue 18 ①)."""

import datetime

import pytest

from audit.chain import GENESIS, entry_hash
from tests.support.migrations import latest, migrate

BEFORE = [("institutions", "0003_staff_date_style"), ("audit", "0004_chain_head_function")]
AFTER = [("institutions", "0004_staff_provenance")]


@pytest.mark.django_db(transaction=True)
def test_existing_accounts_get_the_provenance_the_database_knows():
    old = migrate(BEFORE)
    try:
        Institution = old.get_model("institutions", "Institution")
        Staff = old.get_model("institutions", "Staff")
        RoleGrantRequest = old.get_model("institutions", "RoleGrantRequest")
        AuditEntry = old.get_model("audit", "AuditEntry")
        insurer = Institution.objects.create(name="Ａ健康保険組合", kind="kenpo_kumiai", insurer_number="06131239",
                                             is_tenant=True)
        boss = Staff.objects.create(username="boss", institution=insurer, role="supervisor")
        clerk = Staff.objects.create(username="clerk", institution=insurer, role="clerk", role_requested_by=boss)
        granted = Staff.objects.create(username="granted", institution=insurer, role="supervisor")
        Staff.objects.create(username="old", institution=insurer, role="clerk")
        now = datetime.datetime(2026, 4, 3, 10, 0, tzinfo=datetime.UTC)
        RoleGrantRequest.objects.create(institution=insurer, staff=granted, is_new_account=True, username="granted",
                                        display_name="granted", role="supervisor", reason="増員", state="approved",
                                        requested_at=now, requested_by=boss)
        # Chained as the Python chain of that state did (audit 0005 checks it before moving the chain into the DB).
        last = AuditEntry.objects.order_by("-id").first()
        entry = AuditEntry(actor=boss, institution=insurer, action="staff.created", at=now,
                           target_type="institutions.Staff", target_id=str(clerk.pk))
        entry.prev_hash = last.entry_hash if last else GENESIS
        entry.entry_hash = entry_hash(entry, entry.prev_hash)
        entry.save()
        new = migrate(AFTER)
        Staff = new.get_model("institutions", "Staff")
        made = {s.username: (s.created_by_id, s.created_via) for s in Staff.objects.all()}
        assert made["clerk"] == (boss.pk, "console")
        assert made["granted"] == (boss.pk, "role_grant")
        assert made["old"] == (None, "unknown") and made["boss"] == (None, "unknown")
    finally:
        migrate(latest())
