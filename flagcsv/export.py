"""Streaming CSV export of an insurer's settings (renewal ③).

The header goes out first, before any query, then the rows a batch at a time from a cursor that lives inside
one transaction (a named cursor WITHOUT HOLD on PostgreSQL: nothing is materialised, no COUNT first). On
PostgreSQL each record is built by the database (flagcsv.sql, within 2× of COPY); elsewhere (the SQLite demo) by
Python from the same values() rows, byte for byte the same file (tests/flagcsv/test_sql_parity.py).

Shift_JIS (cp932) cannot hold every character (e.g. 𠮷 in 𠮷田). Such a character is replaced with 〓 (the
customary substitute), never dropped and never allowed to break the file; every affected row is reported: on the
pre-export page, in a closing note row of the file itself and in the audit entry written when the stream ends.
"""

import bisect
import codecs
import csv
import io
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

from django.db import connections, transaction
from django.db.models import QuerySet

from flagcsv import sql
from flagcsv.columns import (
    COLUMNS,
    GETA,
    NOTE_MARK,
    SCOPE_WHOLE,
    STATE_ACTIVE,
    STATE_CLEARED,
    code_cell,
    code_value,
    format_date_wareki,
    format_datetime,
    guard_formula,
)
from flags.models import Setting
from flags.policy import SETTING_LABELS, SettingKind


class Encoding:
    UTF8_BOM = "utf-8-sig"
    CP932 = "cp932"

    CHOICES = ((UTF8_BOM, "UTF-8（BOM付き）"), (CP932, "Shift_JIS（cp932・Excel向け）"))
    # Content-Type charset label; "Windows-31J" is the IANA name of cp932.
    CHARSET = MappingProxyType({UTF8_BOM: "utf-8", CP932: "Windows-31J"})
    FILE_SUFFIX = MappingProxyType({UTF8_BOM: "utf8", CP932: "sjis"})


class StateFilter:
    ALL = ""
    ACTIVE = "active"
    CLEARED = "cleared"

    CHOICES = ((ALL, "すべて"), (ACTIVE, STATE_ACTIVE), (CLEARED, STATE_CLEARED))


class Engine:
    SQL = "sql"  # PostgreSQL builds each record
    PYTHON = "python"  # Python builds each record (SQLite, and the reference the SQL is tested against)


FETCH_SIZE = 5000  # records per round trip of the cursor, and per yielded piece
REPORT_LIMIT = 1000  # replaced rows kept in detail; the count is always exact


def settings_for_export(user, *, kind: str = "", state: str = StateFilter.ALL) -> QuerySet:
    """The caller's insurer's settings on its members, as values() rows in file order. Never 不開示コード (that is
    per exchange, not a setting) and never another insurer's rows: the scope comes from visible_to()."""
    # The member must be the insurer's own too: never a row through a mismatched member, and it lets PostgreSQL
    # read members in 枝番 order from their (insurer, 枝番) index instead of sorting every row first.
    qs = Setting.objects.visible_to(user).filter(member__insurer_id=user.institution_id)
    if kind:
        qs = qs.filter(kind=SettingKind(kind))
    if state == StateFilter.ACTIVE:
        qs = qs.filter(cleared_at__isnull=True)
    elif state == StateFilter.CLEARED:
        qs = qs.filter(cleared_at__isnull=False)
    return qs.values(*sql.VALUE_FIELDS, **sql.VALUE_EXPRESSIONS).order_by(*sql.ORDER)


def row_cells(v: dict) -> list[str]:
    """One values() row as the file's cells, in COLUMNS order (flagcsv.sql builds the same cells in SQL)."""
    cleared = v["cleared_at"] is not None
    return [
        code_cell(v["insurer_number"]),
        code_cell(v["branch_number"]),
        code_cell(v["symbol_number"]),
        guard_formula(v["member_name"]),
        guard_formula(v["item_name"] or SCOPE_WHOLE),
        SETTING_LABELS[SettingKind(v["kind"])],
        format_datetime(v["set_at"]),
        format_date_wareki(v["set_at"]),
        guard_formula(v["set_by_name"]),
        guard_formula(v["reason"]),
        STATE_CLEARED if cleared else STATE_ACTIVE,
        format_datetime(v["cleared_at"]),
        format_date_wareki(v["cleared_at"]),
        guard_formula(v["cleared_by_name"]) if cleared else "",
        guard_formula(v["clear_reason"]) if cleared else "",
    ]


def default_engine(rows: QuerySet) -> str:
    return Engine.SQL if connections[rows.db].vendor == "postgresql" else Engine.PYTHON


@dataclass
class ReplacedRow:
    """A row where cp932 could not hold some characters, replaced with 〓."""

    line: int  # row number in the file (見出し = 1行目)
    branch_number: str
    columns: list[str]
    original: dict[str, str]
    written: dict[str, str]

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """(column, original value, value written) for the page."""
        return [(c, self.original[c], self.written[c]) for c in self.columns]


def _cp932_safe(text: str) -> str:
    return "".join(ch if _encodable(ch) else GETA for ch in text)


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


_replaced_at = threading.local()  # per server thread: where the current encode replaced characters
_GETA_ERRORS = "nakama_geta"


def _geta(error: UnicodeEncodeError) -> tuple[str, int]:
    _replaced_at.positions.append(error.start)
    return GETA * (error.end - error.start), error.end


codecs.register_error(_GETA_ERRORS, _geta)


def _cells_of(record: str) -> list[str]:
    return next(csv.reader(io.StringIO(record, newline="")))


@dataclass
class CsvExport:
    """Writes the settings file a batch at a time. After chunks() is exhausted, rows, replaced_count and replaced
    describe what was written. With note=True (the download) a closing note row reports the replaced rows."""

    rows_source: QuerySet
    encoding: str = Encoding.UTF8_BOM
    note: bool = True
    engine: str = ""
    rows: int = 0
    replaced_count: int = 0
    replaced: list[ReplacedRow] = field(default_factory=list)
    complete: bool = False

    def __post_init__(self) -> None:
        self.engine = self.engine or default_engine(self.rows_source)

    def chunks(self) -> Iterator[bytes]:
        # The header is the first byte, before the query runs: the download starts at once whatever the size.
        yield self._encode_records([_record(COLUMNS)], first=True)
        batches = self._sql_batches() if self.engine == Engine.SQL else self._python_batches()
        for records in batches:
            start_line = self.rows + 2  # the header is line 1
            self.rows += len(records)
            yield self._encode_records(records, start_line=start_line)
        if self.note and self.replaced_count:
            yield self._encode_records([_record(self.note_row())])
        self.complete = True

    def drain(self) -> "CsvExport":
        """Run the whole export, discarding the bytes: the pre-export page's look at the rows cp932 cannot hold."""
        for _ in self.chunks():
            pass
        return self

    def _sql_batches(self) -> Iterator[list[str]]:
        statement, params = sql.lines_sql(self.rows_source)
        connection = connections[self.rows_source.db]
        # Inside atomic() the named cursor is declared WITHOUT HOLD: PostgreSQL streams it from the running
        # query instead of materialising the whole result at the first fetch (as a WITH HOLD cursor does).
        with transaction.atomic(using=self.rows_source.db):
            with connection.cursor() as setting:  # a plain cursor: SET cannot be DECLAREd
                setting.execute(sql.SET_DATESTYLE)
            with connection.chunked_cursor() as cursor:
                cursor.execute(statement, params)
                while fetched := cursor.fetchmany(FETCH_SIZE):
                    yield [r[0] for r in fetched]

    def _python_batches(self) -> Iterator[list[str]]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # CRLF: what Excel writes and expects
        batch: list[str] = []
        with transaction.atomic(using=self.rows_source.db):  # one snapshot, as on PostgreSQL
            for v in self.rows_source.iterator(chunk_size=FETCH_SIZE):
                writer.writerow(row_cells(v))
                batch.append(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate(0)
                if len(batch) >= FETCH_SIZE:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _encode_records(self, records: list[str], *, first: bool = False, start_line: int = 0) -> bytes:
        if self.encoding != Encoding.CP932:
            # str.encode("utf-8-sig") would put a BOM before every piece: only the first carries it.
            return "".join(records).encode(Encoding.UTF8_BOM if first else "utf-8")
        # One encode per batch; the error handler puts 〓 in place and notes where, so only the affected records
        # are looked at again (for the report).
        _replaced_at.positions = positions = []
        data = "".join(records).encode("cp932", _GETA_ERRORS)
        if positions:
            ends = list(itertools.accumulate(len(r) for r in records))
            for index in sorted({bisect.bisect_right(ends, p) for p in positions}):
                self._report_replaced(start_line + index, records[index])
        return data

    def _report_replaced(self, line: int, record: str) -> None:
        self.replaced_count += 1
        if len(self.replaced) < REPORT_LIMIT:
            safe = _cp932_safe(record)  # 〓 is not special to CSV: replacing in the record replaces in its cells
            before, after = _cells_of(record), _cells_of(safe)
            changed = [COLUMNS[i] for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
            self.replaced.append(
                ReplacedRow(
                    line=line, branch_number=code_value(after[1]), columns=changed,
                    original={c: before[COLUMNS.index(c)] for c in changed},
                    written={c: after[COLUMNS.index(c)] for c in changed},
                )
            )

    def note_row(self) -> list[str]:
        lines = [r.line for r in self.replaced[:REPORT_LIMIT]]
        listed = "、".join(str(n) for n in lines)
        more = f" ほか{self.replaced_count - len(lines)}行" if self.replaced_count > len(lines) else ""
        text = (
            f"Shift_JIS（cp932）で表せない文字を「{GETA}」に置き換えた行が{self.replaced_count}行あります"
            f"（{listed}{more} 行目）。元の文字はUTF-8で出力すると確認できます。"
        )
        note = [f"{NOTE_MARK}注記", text]
        return note + [""] * (len(COLUMNS) - len(note))  # same width as the data, for strict CSV readers


def _record(cells) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
