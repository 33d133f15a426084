"""How the download streams on PostgreSQL (issue 12): the header before any query, no COUNT, and the rows from
one cursor bound to the stream's transaction (no WITH HOLD cursor, which PostgreSQL materialises in full at the
first fetch). Statements are counted, never timed."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from tests.flagcsv.helpers import download
from tests.flagcsv.test_export_memory import bulk_settings


def test_header_goes_out_before_any_query_and_nothing_is_counted(requires_postgres, client, sam, plain_member):
    bulk_settings(plain_member, 30)
    client.force_login(sam)
    response = download(client, encoding="cp932")
    pieces = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as before_first_byte:
        header = next(pieces)
    assert header.decode("cp932").startswith("保険者番号,") and len(before_first_byte) == 0
    with CaptureQueriesContext(connection) as stream:
        rest = b"".join(pieces)
    assert rest.count(b"\r\n") == 30
    statements = [q["sql"].upper() for q in stream.captured_queries]
    assert not any("COUNT(" in s for s in statements)
    assert sum(" AS LINE FROM " in s for s in statements) == 1, statements  # the one SELECT of finished lines


def test_rows_come_from_a_cursor_bound_to_the_transaction(requires_postgres, client, sam, plain_member, monkeypatch):
    monkeypatch.setattr("flagcsv.export.FETCH_SIZE", 10)
    bulk_settings(plain_member, 35)
    client.force_login(sam)
    pieces = iter(download(client).streaming_content)
    next(pieces)  # header
    next(pieces)  # the first 10 rows: the cursor is open now
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable, statement FROM pg_cursors")
        cursors = cursor.fetchall()
    assert len(cursors) == 1 and cursors[0][0] is False and "DECLARE" in cursors[0][1]
    assert b"".join(pieces).count(b"\r\n") == 25
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] == 0  # closed with its transaction
    assert AuditEntry.objects.get(action="settings_csv.exported").after["rows"] == 35
