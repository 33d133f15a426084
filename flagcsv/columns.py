"""The CSV format of the settings file (renewal ③, 別紙2 §4): columns, labels and cell formatting.

Shared by the streaming export, the django-import-export resource (admin export, import) and the importer, so the
file written is the file read back.
"""

import datetime
from zoneinfo import ZoneInfo

from flags.policy import SETTING_LABELS, SettingKind

COLUMNS: tuple[str, ...] = (
    "保険者番号",
    "被保険者枝番",
    "氏名",
    "範囲",
    "設定種別",
    "設定日時",
    "設定者",
    "理由",
    "状態",
    "解除日時",
    "解除者",
    "解除理由",
)
# Resource field name for each column, in order.
FIELD_NAMES: tuple[str, ...] = (
    "insurer_number",
    "branch_number",
    "name",
    "scope",
    "kind",
    "set_at",
    "set_by",
    "reason",
    "state",
    "cleared_at",
    "cleared_by",
    "clear_reason",
)
COLUMN_INDEX = {name: i for i, name in enumerate(COLUMNS)}

SCOPE_WHOLE = "全体"  # 被保険者枝番単位
STATE_ACTIVE = "設定中"
STATE_CLEARED = "解除済"
KIND_BY_LABEL: dict[str, SettingKind] = {label: kind for kind, label in SETTING_LABELS.items()}

# A row whose first cell starts with this is a note (e.g. the cp932 replacement report), not data.
NOTE_MARK = "※"
# Customary Japanese substitute (下駄記号) for a character Shift_JIS cannot hold.
GETA = "〓"

TOKYO = ZoneInfo("Asia/Tokyo")

# Excel runs a cell starting with one of these as a formula (CSV injection): free text gets a leading "'".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def unguard_formula(value: str) -> str:
    """Undo guard_formula when a file is read back."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def format_datetime(value: datetime.datetime | None) -> str:
    """設定日時 / 解除日時 in Japan time, whatever the server's zone."""
    if value is None:
        return ""
    # isoformat is several times faster than strftime; this runs twice per row of a million-row export.
    return value.astimezone(TOKYO).isoformat(" ", "seconds")[:19]
