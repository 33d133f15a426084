"""The export streams: peak memory of consuming it does not grow with the number of rows (a bound, not a timing)."""

import datetime
import tracemalloc

from django.db import connection
from django.utils import timezone

from flagcsv.export import CsvExport, Encoding, settings_for_export
from flags.models import Setting
from flags.policy import SettingKind


def bulk_settings(member, count: int) -> None:
    """Historic (cleared) settings on one member, inserted directly (only cleared rows may repeat): a seed with
    bulk_create, then copied inside the database with INSERT ... SELECT, far faster than building models."""
    start = timezone.now() - datetime.timedelta(days=3650)
    seed = min(count, 1000)
    Setting.objects.bulk_create(
        Setting(
            institution_id=member.insurer_id, member=member, person_id=member.person_id,
            kind=SettingKind.NON_DISCLOSURE, reason=f"理由{i}", set_at=start + datetime.timedelta(minutes=i),
            set_by_name="一括作成", cleared_at=start + datetime.timedelta(minutes=i + 1), cleared_by_name="一括解除",
            clear_reason="解除理由",
        )
        for i in range(seed)
    )
    table = Setting._meta.db_table
    columns = ", ".join(f.column for f in Setting._meta.concrete_fields if not f.primary_key)
    made = seed
    with connection.cursor() as cursor:
        while made < count:
            n = min(made, count - made)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} "
                "WHERE member_id = %s ORDER BY id LIMIT %s",
                [member.pk, n],
            )
            made += n


def _peak_of_export(user, encoding: str) -> tuple[int, int]:
    export = CsvExport(settings_for_export(user), encoding)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        size = 0
        for piece in export.chunks():
            size += len(piece)  # consumed and dropped, as the WSGI server does
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 0
    return peak, export.rows


def test_peak_memory_at_100k_rows_is_under_twice_the_peak_at_10k(sam, plain_member):
    bulk_settings(plain_member, 10_000)
    peak_10k, rows = _peak_of_export(sam, Encoding.UTF8_BOM)
    assert rows == 10_000
    bulk_settings(plain_member, 90_000)
    peak_100k, rows = _peak_of_export(sam, Encoding.UTF8_BOM)
    assert rows == 100_000
    print(f"export peak: {peak_10k:,} B at 10k rows, {peak_100k:,} B at 100k rows")
    assert peak_100k < 2 * peak_10k, (peak_10k, peak_100k)


def test_cp932_report_keeps_a_bounded_list_but_an_exact_count(sam, yoshida, monkeypatch):
    """The only list the export keeps is the replaced rows' detail, and it is capped; the count stays exact."""
    monkeypatch.setattr("flagcsv.export.REPORT_LIMIT", 5)
    bulk_settings(yoshida, 20)
    export = CsvExport(settings_for_export(sam), Encoding.CP932)
    data = b"".join(export.chunks()).decode("cp932")
    assert export.replaced_count == 20 and len(export.replaced) == 5
    assert [r.line for r in export.replaced] == [2, 3, 4, 5, 6]
    assert data.count("〓田 美和") == 20 and "ほか15行" in data
