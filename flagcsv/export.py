"""Streaming CSV export of an insurer's settings (renewal ③).

django-import-export builds a whole export in memory, so the console streams instead: values() rows read with
iterator(chunk_size=...), written a chunk at a time. Memory stays flat whatever the row count (see
tests/flagcsv/test_export_memory.py).

Shift_JIS (cp932) cannot hold every character (e.g. 𠮷 in 𠮷田). Such a character is replaced with 〓 (the
customary substitute), never dropped and never allowed to break the file; every affected row is reported: on the
pre-export page, in response headers, in the audit entry and in a closing note row of the file itself.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

from django.db.models import Max, QuerySet

from flagcsv.columns import (
    COLUMNS,
    GETA,
    NOTE_MARK,
    SCOPE_WHOLE,
    STATE_ACTIVE,
    STATE_CLEARED,
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


VALUE_FIELDS = (
    "id",
    "institution__insurer_number",
    "member__branch_number",
    "member__name",
    "item__name",
    "kind",
    "set_at",
    "set_by_name",
    "reason",
    "cleared_at",
    "cleared_by_name",
    "clear_reason",
)

CHUNK_SIZE = 2000  # rows fetched per round trip (server-side cursor on PostgreSQL)
WRITE_BATCH = 500  # rows encoded per yielded piece
REPORT_LIMIT = 1000  # replaced rows kept in detail; the count is always exact


def settings_for_export(user, *, kind: str = "", state: str = StateFilter.ALL, upto_id: int | None = None) -> QuerySet:
    """The caller's insurer's settings on its members, as values() rows in file order. Never 不開示コード (that is
    per exchange, not a setting) and never another insurer's rows: the scope comes from visible_to()."""
    qs = Setting.objects.visible_to(user).filter(member__isnull=False)
    if kind:
        qs = qs.filter(kind=SettingKind(kind))
    if state == StateFilter.ACTIVE:
        qs = qs.filter(cleared_at__isnull=True)
    elif state == StateFilter.CLEARED:
        qs = qs.filter(cleared_at__isnull=False)
    if upto_id is not None:
        qs = qs.filter(id__lte=upto_id)
    return qs.order_by("member__branch_number", "set_at", "id").values(*VALUE_FIELDS)


def snapshot_upto_id(user) -> int:
    """Highest setting id now: the pre-scan and the stream both stop there, so a row added between them is in
    neither."""
    return Setting.objects.visible_to(user).aggregate(top=Max("id"))["top"] or 0


def row_cells(v: dict) -> list[str]:
    """One values() row as the file's cells, in COLUMNS order."""
    cleared = v["cleared_at"] is not None
    return [
        v["institution__insurer_number"],
        v["member__branch_number"],
        guard_formula(v["member__name"]),
        v["item__name"] or SCOPE_WHOLE,
        SETTING_LABELS[SettingKind(v["kind"])],
        format_datetime(v["set_at"]),
        guard_formula(v["set_by_name"]),
        guard_formula(v["reason"]),
        STATE_CLEARED if cleared else STATE_ACTIVE,
        format_datetime(v["cleared_at"]),
        guard_formula(v["cleared_by_name"]) if cleared else "",
        guard_formula(v["clear_reason"]) if cleared else "",
    ]


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
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return "".join(ch if _encodable(ch) else GETA for ch in text)
    return text


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class CsvExport:
    """Writes the settings file a chunk at a time. After chunks() is exhausted, rows, replaced_count and replaced
    describe what was written. With note=True (the download) a closing note row reports the replaced rows."""

    rows_source: QuerySet
    encoding: str = Encoding.UTF8_BOM
    note: bool = True
    rows: int = 0
    replaced_count: int = 0
    replaced: list[ReplacedRow] = field(default_factory=list)
    _started: bool = False

    def _encode(self, text: str) -> bytes:
        # str.encode("utf-8-sig") prepends a BOM every time: only the first piece may carry it.
        if self.encoding == Encoding.UTF8_BOM and self._started:
            return text.encode("utf-8")
        self._started = True
        return text.encode(self.encoding)

    def chunks(self) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # CRLF: what Excel writes and expects
        writer.writerow(COLUMNS)
        batch: list[list[str]] = []
        for v in self.rows_source.iterator(chunk_size=CHUNK_SIZE):
            batch.append(row_cells(v))
            if len(batch) >= WRITE_BATCH:
                yield self._encode_batch(buffer, writer, batch)
                batch = []
        if batch or buffer.tell():
            yield self._encode_batch(buffer, writer, batch)
        if self.note and self.replaced_count:
            writer.writerow(self.note_row())
            yield self._encode(self._take(buffer))

    def drain(self) -> "CsvExport":
        """Run the whole export, discarding the bytes: the pre-scan that finds the rows cp932 cannot hold."""
        for _ in self.chunks():
            pass
        return self

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

    def _take(self, buffer: io.StringIO) -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    def _encode_batch(self, buffer: io.StringIO, writer, batch: list[list[str]]) -> bytes:
        start_line = self.rows + 2  # the header is line 1
        if self.encoding != Encoding.CP932:
            writer.writerows(batch)
            self.rows += len(batch)
            return self._encode(self._take(buffer))
        header_text = self._take(buffer)  # only non-empty for the first batch
        writer.writerows(batch)
        text = self._take(buffer)
        try:
            # The common case: the whole batch encodes; only on failure look row by row.
            data = self._encode(header_text + text)
        except UnicodeEncodeError:
            for offset, cells in enumerate(batch):
                self._replace_unencodable(start_line + offset, cells)
            writer.writerows(batch)
            data = self._encode(header_text + self._take(buffer))
        self.rows += len(batch)
        return data

    def _replace_unencodable(self, line: int, cells: list[str]) -> None:
        original, written = {}, {}
        for i, cell in enumerate(cells):
            safe = _cp932_safe(cell)
            if safe != cell:
                original[COLUMNS[i]] = cell
                written[COLUMNS[i]] = safe
                cells[i] = safe
        if original:
            self.replaced_count += 1
            if len(self.replaced) < REPORT_LIMIT:
                self.replaced.append(
                    ReplacedRow(
                        line=line, branch_number=cells[1], columns=list(original),
                        original=original, written=written,
                    )
                )
