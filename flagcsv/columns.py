"""The CSV format of the settings file (renewal ③, 別紙2 §4): columns, labels and cell formatting.

Shared by the streaming export (Python rows here, the same cells built by PostgreSQL in flagcsv.sql), the
django-import-export resource (admin export, import) and the importer, so the file written is the file read back.

Two guards make the file safe and exact in Excel (issue 13, issue 9 point 7):
- code columns (保険者番号, 被保険者枝番, 記号・番号) are written as ="06131239": Excel evaluates that formula to
  the text 06131239, so leading zeros stay and the cell is text, never 6131239 or a date. Only values we have
  checked to be ASCII letters and digits (hyphen and space inside) are wrapped, so the quotes cannot be broken out of;
- every other text cell that Excel would run as a formula (=, +, -, @, tab, CR first) gets a leading "'".
"""

import datetime
import re
from zoneinfo import ZoneInfo

from flags.policy import SETTING_LABELS, SettingKind
from nakama.wareki import format_wareki

COLUMNS: tuple[str, ...] = (
    "保険者番号",
    "被保険者枝番",
    "記号・番号",
    "氏名",
    "範囲",
    "設定種別",
    "設定日時",
    "設定日（和暦）",
    "設定者",
    "理由",
    "状態",
    "解除日時",
    "解除日（和暦）",
    "解除者",
    "解除理由",
)
# Files written before the 記号・番号 and 和暦 columns existed are still accepted by the import.
LEGACY_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in ("記号・番号", "設定日（和暦）", "解除日（和暦）"))
# Resource field name for each column, in order.
FIELD_NAMES: tuple[str, ...] = (
    "insurer_number",
    "branch_number",
    "symbol_number",
    "name",
    "scope",
    "kind",
    "set_at",
    "set_on_wareki",
    "set_by",
    "reason",
    "state",
    "cleared_at",
    "cleared_on_wareki",
    "cleared_by",
    "clear_reason",
)
COLUMN_INDEX = {name: i for i, name in enumerate(COLUMNS)}
CODE_COLUMNS = ("保険者番号", "被保険者枝番", "記号・番号")

SCOPE_WHOLE = "全体"  # 被保険者枝番単位
STATE_ACTIVE = "設定中"
STATE_CLEARED = "解除済"
KIND_BY_LABEL: dict[str, SettingKind] = {label: kind for kind, label in SETTING_LABELS.items()}

# A row whose first cell starts with this is a note (e.g. the cp932 replacement report), not data.
NOTE_MARK = "※"
# Customary Japanese substitute (下駄記号) for a character Shift_JIS cannot hold.
GETA = "〓"

TOKYO = ZoneInfo("Asia/Tokyo")
TIME_ZONE_NAME = "Asia/Tokyo"  # the same zone, for PostgreSQL's AT TIME ZONE

# Excel runs a cell starting with one of these as a formula (CSV injection): free text gets a leading "'".
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A code we wrap as ="…": ASCII letters and digits, hyphen and space after the first (e.g. 06131239, A0000001, 12-34).
# The same pattern is used by PostgreSQL (flagcsv.sql); PostgreSQL's $ and Python's fullmatch both stop at the end.
CODE_PATTERN = r"[0-9A-Za-z][0-9A-Za-z -]*"
_CODE = re.compile(CODE_PATTERN)
_WRAPPED_CODE = re.compile(r'="(' + CODE_PATTERN + r')"')


# Guarded: a formula start, after any apostrophes (so a value that itself begins '= reads back unchanged).
NEEDS_GUARD_PATTERN = "'*[=+@\t\r-]"
_NEEDS_GUARD = re.compile(NEEDS_GUARD_PATTERN)


def guard_formula(value: str) -> str:
    return "'" + value if _NEEDS_GUARD.match(value) else value


def unguard_formula(value: str) -> str:
    """Undo guard_formula when a file is read back."""
    if value.startswith("'") and _NEEDS_GUARD.match(value, 1):
        return value[1:]
    return value


def code_cell(value: str) -> str:
    """A code cell Excel reads as text with its leading zeros: ="06131239". Anything else is guarded text."""
    if _CODE.fullmatch(value):
        return f'="{value}"'
    return guard_formula(value)


def code_value(cell: str) -> str:
    """The code in a cell as we write it (="06131239"), as Excel saves it after editing (06131239) or guarded."""
    wrapped = _WRAPPED_CODE.fullmatch(cell)
    if wrapped:
        return wrapped.group(1)
    return unguard_formula(cell)


def format_datetime(value: datetime.datetime | None) -> str:
    """設定日時 / 解除日時 in Japan time, whatever the server's zone (ISO 8601 with a space: 2026-11-27 19:01:07)."""
    if value is None:
        return ""
    # isoformat is several times faster than strftime; this runs twice per row of a million-row export.
    return value.astimezone(TOKYO).isoformat(" ", "seconds")[:19]


def format_date_wareki(value: datetime.datetime | None) -> str:
    """設定日（和暦） / 解除日（和暦）: the Japan date of the moment in 和暦 (令和8年11月27日)."""
    if value is None:
        return ""
    return format_wareki(value.astimezone(TOKYO).date())
