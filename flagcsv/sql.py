"""The settings file's lines built by PostgreSQL (the fast path of flagcsv.export).

PostgreSQL formats every cell exactly as flagcsv.columns does in Python (same guards, same ISO dates, the 和暦
CASE generated from nakama.wareki.ERAS, the same CSV quoting as Python's csv module) and returns one finished
CSV record per row; Python only joins and encodes them. tests/flagcsv/test_sql_parity.py holds the two paths
byte-equal, cell by cell and at every era boundary.

Why not COPY itself: psycopg2 only copies into a file object (no iterator to stream from without a thread), and
COPY's CSV ends records with LF and quotes empty strings. A named cursor over the finished lines measured
within 2× of COPY of the same SELECT (bench/RESULTS.md).
"""

import re

from django.db.models import F, QuerySet

from flagcsv.columns import (
    CODE_PATTERN,
    FORMULA_START,
    NEEDS_GUARD_PATTERN,
    SCOPE_WHOLE,
    STATE_ACTIVE,
    STATE_CLEARED,
    TIME_ZONE_NAME,
)
from flags.policy import SETTING_LABELS
from nakama.wareki import ERAS

# The raw values each line is built from; the Python path reads the same values() rows.
VALUE_EXPRESSIONS = {
    "insurer_number": F("institution__insurer_number"),
    "branch_number": F("member__branch_number"),
    "symbol_number": F("member__symbol_number"),
    "member_name": F("member__name"),
    "item_name": F("item__name"),
}
VALUE_FIELDS = ("id", "kind", "set_at", "set_by_name", "reason", "cleared_at", "cleared_by_name", "clear_reason")
ORDER = ("branch_number", "set_at", "id")  # file order: 枝番, then 設定日時


def literal(text: str) -> str:
    """A constant of ours as an SQL string literal (E'' so control characters are written escaped).
    % is doubled because the statement is executed with parameters."""
    escaped = text.replace("\\", "\\\\").replace("'", "''").replace("\t", "\\t").replace("\r", "\\r")
    return "E'" + escaped.replace("\n", "\\n").replace("%", "%%") + "'"


DQ, DQ2 = literal('"'), literal('""')
CODE_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -"  # CODE_PATTERN's set


def needs_quotes(expr: str) -> str:
    """Python csv (QUOTE_MINIMAL) quotes a cell holding a comma, a double quote, CR or LF. strpos rather than a
    regular expression: PostgreSQL converts the text to wide characters for every regex match."""
    return " OR ".join(f"strpos({expr}, {literal(c)}) > 0" for c in (",", '"', "\n", "\r"))


def is_code(expr: str) -> str:
    """CODE_PATTERN without a regex: an ASCII letter or digit first (ascii() reads the first code point without
    copying), then only CODE_CHARACTERS."""
    assert re.fullmatch(CODE_PATTERN, "A" + CODE_CHARACTERS) and not re.fullmatch(CODE_PATTERN, " ")
    first = f"ascii({expr})"
    return (f"(({first} BETWEEN 48 AND 57 OR {first} BETWEEN 65 AND 90 OR {first} BETWEEN 97 AND 122) "
            f"AND translate({expr}, {literal(CODE_CHARACTERS)}, '') = '')")


def guard(expr: str) -> str:
    """flagcsv.columns.guard_formula in SQL: the first code point decides, the regex only after an apostrophe."""
    starts = ", ".join(str(ord(c)) for c in FORMULA_START)
    needs = f"{expr} ~ {literal('^' + NEEDS_GUARD_PATTERN)}"
    return (f"(CASE WHEN ascii({expr}) IN ({starts}) OR (ascii({expr}) = 39 AND {needs}) "
            f"THEN {literal(chr(39))} || {expr} ELSE {expr} END)")


def text_cell(expr: str) -> str:
    """A free-text cell: guarded, then quoted. The guard's leading ' is not special to CSV and replace() keeps the
    first character's kind, so the raw value decides both."""
    doubled = f"replace({expr}, {DQ}, {DQ2})"
    return f"(CASE WHEN {needs_quotes(expr)} THEN {DQ} || {guard(doubled)} || {DQ} ELSE {guard(expr)} END)"


def code_cell(expr: str) -> str:
    """flagcsv.columns.code_cell in SQL: ="…" around a checked code (CSV-quoted), guarded text otherwise."""
    opening, closing = literal('"=""'), literal('"' * 3)
    return f"(CASE WHEN {is_code(expr)} THEN {opening} || {expr} || {closing} ELSE {text_cell(expr)} END)"


def wareki(prefix: str) -> str:
    """nakama.wareki.format_wareki in SQL, generated from ERAS (never a second copy of the table), over the local
    timestamp t.<prefix>_local and its parts t.<prefix>_y / _m / _d computed once in lines_sql."""
    local, year = f"t.{prefix}_local", f"t.{prefix}_y"
    tail = f"|| t.{prefix}_m::text || '月' || t.{prefix}_d::text || '日'"
    whens = []
    for era in ERAS:
        first = era.start.year
        whens.append(
            f"WHEN {local} >= TIMESTAMP '{era.start.isoformat()}' THEN {literal(era.name)} || "
            f"CASE WHEN {year} = {first} THEN '元' ELSE ({year} - {first - 1})::text END || '年' {tail}"
        )
    return f"(CASE {' '.join(whens)} ELSE {year}::text || '年' {tail} END)"


def local_parts(prefix: str) -> str:
    local = f"{prefix}_local"
    return ", ".join(f"date_part('{p}', {local})::int AS {prefix}_{p[0]}" for p in ("year", "month", "day"))


def kind_label(expr: str) -> str:
    whens = " ".join(f"WHEN {literal(kind.value)} THEN {literal(label)}" for kind, label in SETTING_LABELS.items())
    return f"(CASE {expr} {whens} END)"


def iso(local: str) -> str:
    """flagcsv.columns.format_datetime: 2026-11-27 19:01:07 (DateStyle ISO is set for the statement's
    transaction; a cast is several times cheaper than to_char)."""
    return f"date_trunc('second', {local})::text"


def _line() -> str:
    def when_cleared(cell: str) -> str:
        return f"CASE WHEN t.cleared_at IS NULL THEN '' ELSE {cell} END"

    cells = [
        code_cell("t.insurer_number"),
        code_cell("t.branch_number"),
        code_cell("t.symbol_number"),
        text_cell("t.member_name"),
        text_cell(f"coalesce(t.item_name, {literal(SCOPE_WHOLE)})"),
        kind_label("t.kind"),
        iso("t.set_local"),
        wareki("set"),
        text_cell("t.set_by_name"),
        text_cell("t.reason"),
        f"CASE WHEN t.cleared_at IS NULL THEN {literal(STATE_ACTIVE)} ELSE {literal(STATE_CLEARED)} END",
        when_cleared(iso("t.clr_local")),
        when_cleared(wareki("clr")),
        when_cleared(text_cell("t.cleared_by_name")),
        when_cleared(text_cell("t.clear_reason")),
    ]
    return " || ',' || ".join(f"({c})" for c in cells) + " || E'\\r\\n'"


SET_DATESTYLE = "SET LOCAL DateStyle TO ISO, YMD"  # run in the cursor's transaction before lines_sql


def lines_sql(rows: QuerySet) -> tuple[str, tuple]:
    """SELECT of one finished CSV record per row of `rows` (settings_for_export()), in file order.

    The inner query sorts the raw columns and converts each time to Japan time once; OFFSET 0 keeps PostgreSQL
    from folding it into the outer query (which would re-evaluate the conversions per use and sort the wide
    finished lines). The outer projection keeps the inner order (a plain Subquery Scan over the Sort)."""
    inner, params = rows.query.sql_with_params()
    zone = literal(TIME_ZONE_NAME)
    sql = (
        f"SELECT {_line()} AS line FROM (SELECT l.*, {local_parts('set')}, {local_parts('clr')} FROM ("
        f"SELECT s.*, s.set_at AT TIME ZONE {zone} AS set_local, s.cleared_at AT TIME ZONE {zone} AS clr_local "
        f"FROM ({inner}) AS s OFFSET 0) AS l OFFSET 0) AS t"
    )
    return sql, params
