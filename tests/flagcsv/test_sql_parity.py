"""PostgreSQL builds each record of the settings file (flagcsv.sql); Python builds the same file on SQLite
(flagcsv.export.row_cells). The two must write the same bytes for the same data: whole files in both encodings,
single cells for any text (hypothesis), and the 和暦 at each era boundary."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flagcsv import sql
from flagcsv.columns import code_cell, format_date_wareki, guard_formula
from flagcsv.export import CsvExport, Encoding, Engine, settings_for_export
from flags.policy import SettingKind
from flags.services import set_setting
from nakama.wareki import ERAS, format_wareki
from tests import factories as f
from tests.flagcsv.test_export_memory import bulk_settings

TOKYO = ZoneInfo("Asia/Tokyo")
TRICKY = [
    "=HYPERLINK(\"http://example.invalid\")", "+81-3", "-1", "@SUM(A1)", "\tタブ", "\r改行", "'=既に'付き",
    "本人の申出、窓口", 'いわゆる"至急"', "一行目\r\n二行目", "一行目\n二行目", "", " 先頭空白", "𠮷田", "①②", "〓",
]


def _file(user, encoding: str, engine: str) -> bytes:
    return b"".join(CsvExport(settings_for_export(user), encoding, engine=engine).chunks())


@pytest.fixture
def tricky_world(requires_postgres, sam, insurer_a, items):
    """Members and settings whose every text column holds something a CSV writer or Excel could trip on."""
    codes = ["00012345", "A-1 2", "-0012", "=1+1", "記号12 番号0034", "0012\n34", ""]
    for i, text in enumerate(TRICKY):
        member = f.MemberFactory(
            insurer=insurer_a, branch_number=codes[i % len(codes)] + f"{i:02d}" if i % 3 else f"{i:08d}",
            symbol_number=codes[(i + 3) % len(codes)], person=f.PersonFactory(name=text or "空", kana="カナ"),
        )
        setting = set_setting(actor=sam, member=member, kind=SettingKind.NON_DISCLOSURE, reason=text or "理由",
                              item=items["medical_eligibility"] if i % 2 else None)
        if i % 4 == 0:
            bulk_settings(member, 3)  # cleared history, set 2016-…, with 解除日時
        assert setting.pk


@pytest.mark.parametrize("encoding", [Encoding.UTF8_BOM, Encoding.CP932])
def test_sql_and_python_paths_write_the_same_bytes(tricky_world, sam, encoding):
    from_sql = _file(sam, encoding, Engine.SQL)
    from_python = _file(sam, encoding, Engine.PYTHON)
    assert from_sql.count(b"\r\n") > len(TRICKY)
    assert from_sql == from_python


def test_the_sql_path_is_the_one_used_on_postgresql(requires_postgres, sam):
    assert CsvExport(settings_for_export(sam)).engine == Engine.SQL


def test_cp932_reports_the_same_rows_on_both_paths(tricky_world, sam):
    exports = {engine: CsvExport(settings_for_export(sam), Encoding.CP932, engine=engine).drain()
               for engine in (Engine.SQL, Engine.PYTHON)}
    sql_export, python_export = exports[Engine.SQL], exports[Engine.PYTHON]
    assert sql_export.replaced_count == python_export.replaced_count == 1  # 𠮷田 as name and as reason
    assert sql_export.replaced[0].columns == ["氏名", "理由"]
    assert [(r.line, r.branch_number, r.changes) for r in sql_export.replaced] == [
        (r.line, r.branch_number, r.changes) for r in python_export.replaced]


def _sql_cells(value: str) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.text_cell('v.x')}, {sql.code_cell('v.x')} FROM (SELECT %s::text AS x) AS v",
                       [value])
        return cursor.fetchone()


def _csv_cell(cell: str) -> str:
    """The cell as Python's csv module writes it inside a row."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([cell, "z"])
    return buffer.getvalue()[: -len(",z\r\n")]


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=30)
       | st.from_regex(r"['=+@\t\r\n\-, \"0-9A-Za-z]{0,8}", fullmatch=True))
def test_sql_cells_equal_python_cells_for_any_text(requires_postgres, value):
    """Guard, code form and CSV quoting (PostgreSQL text cannot hold NUL, so neither can a cell)."""
    text, code = _sql_cells(value)
    assert text == _csv_cell(guard_formula(value))
    assert code == _csv_cell(code_cell(value))


def _boundary_moments() -> list[datetime.datetime]:
    moments = []
    for era in ERAS:
        start = datetime.datetime.combine(era.start, datetime.time(), TOKYO)
        for delta in (datetime.timedelta(seconds=-1), datetime.timedelta(0), datetime.timedelta(days=1)):
            moments.append(start + delta)
        moments.append(start.replace(year=era.start.year + 1, month=1, day=1))  # 2年1月1日
        moments.append(start.replace(month=12, day=31, hour=23, minute=59, second=59))  # last day of 元年
    moments.append(datetime.datetime(1868, 1, 1, 12, tzinfo=TOKYO))  # before 明治: 西暦
    moments.append(datetime.datetime(2019, 4, 30, 15, 0, tzinfo=datetime.UTC))  # 令和元年5月1日 0:00 JST
    return moments


def test_wareki_of_sql_and_python_agree_at_each_era_boundary(requires_postgres):
    moments = _boundary_moments()
    with connection.cursor() as cursor:
        cursor.execute(sql.SET_DATESTYLE.replace("SET LOCAL", "SET"))
        cursor.execute(
            f"SELECT {sql.wareki('w')}, {sql.iso('t.w_local')} FROM (SELECT l.*, {sql.local_parts('w')} FROM "
            "(SELECT (x AT TIME ZONE 'Asia/Tokyo') AS w_local, n "
            "FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS u(x, n)) AS l) AS t ORDER BY n",
            [moments],
        )
        from_sql = cursor.fetchall()
    from_python = [(format_date_wareki(m), m.astimezone(TOKYO).isoformat(" ", "seconds")[:19]) for m in moments]
    assert from_sql == from_python
    # The table's own answers, so a slip in both would still show: 元年 on the first day of each era.
    for era in ERAS:
        assert format_wareki(era.start) == f"{era.name}元年{era.start.month}月{era.start.day}日"
    assert ("平成31年4月30日", "2019-04-30 23:59:59") in from_sql and ("令和元年5月1日", "2019-05-01 00:00:00") in from_sql
