"""Every index on 情報提供等記録 is written by every inquiry: no single-column index duplicates the lead column of a
composite one (subject/time, inquirer/time, provider/time, the queue), and the portal still follows its index."""

from django.db import connection

from exchanges.selectors import _portal_rows


def test_no_foreign_key_index_duplicates_a_composite_lead_column(requires_postgres, victim):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'exchanges_exchangerecord'")
        indexes = dict(cursor.fetchall())
    single = {name for name, sql in indexes.items() if sql.endswith(("(inquirer_id)", "(provider_id)", "(subject_id)"))}
    assert single == set(), single
    for composite in ("exchange_subject_time_idx", "exchange_inquirer_time_idx", "exchange_provider_time_idx",
                      "exchange_queue_idx"):
        assert composite in indexes
    sql, params = _portal_rows(victim.person)[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "exchange_subject_time_idx" in plan, plan
