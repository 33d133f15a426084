"""Changes of the protections' tables that the database recorded (db.insert / db.update / db.delete, written by
the trail trigger of audit/guarded.py) in a transaction where the application wrote no entry of its own: made
behind the app's back. Updates of activity columns only (a sign-in's last_login, a TOTP device's counters) are
the ordinary traffic of sign-ins and are left out of the list (they stay in the trail)."""

from dataclasses import dataclass

from django.db import connection

from audit.guarded import GUARDED

SQL = """
SELECT d.id, d.action, d.target_type, d.target_id, d.before, d.after, d.message FROM audit_auditentry d
WHERE d.action LIKE 'db.%%' AND d.id > %s AND NOT EXISTS (
    SELECT 1 FROM audit_auditentry a WHERE a.db_transaction = d.db_transaction AND a.action NOT LIKE 'db.%%')
ORDER BY d.id
"""


@dataclass(frozen=True)
class DirectChange:
    id: int
    action: str
    table: str
    row_id: str
    columns: tuple[str, ...]
    message: str


def direct_changes(*, after_id: int = 0) -> list[DirectChange]:
    if connection.vendor != "postgresql":
        return []  # SQLite has no trail triggers: every change goes through the app
    with connection.cursor() as cursor:
        cursor.execute(SQL, [after_id])
        rows = cursor.fetchall()
    found = []
    for entry_id, action, table, row_id, before, after, message in rows:
        changed = sorted(set(_keys(before)) | set(_keys(after))) if action == "db.update" else []
        guard = GUARDED.get(table)
        if action == "db.update" and guard and changed and set(changed) <= set(guard.activity):
            continue
        found.append(DirectChange(entry_id, action, table, row_id, tuple(changed), message))
    return found


def _keys(value) -> list[str]:
    if isinstance(value, str):
        import json

        value = json.loads(value)
    return list(value or {})
