"""Dates as the office writes them: the one parser behind every date the console, the CSV import and the intake read.

Accepted (full-width digits and letters too, spaces ignored):
  令和8年12月5日 · 令和元年5月1日 · R8.12.5 · R08/12/05 · r8-12-5 · 2026-12-05 · 2026/12/05 · 2026.12.5 · 2026年12月5日
  · 20261205. An era year must exist: 平成31年5月1日 (after the 改元) and 令和0年 are refused with the right reading.
The era table is nakama/wareki.py's, so what is read and what is printed cannot disagree.
"""

import datetime
import re
import unicodedata

from nakama.wareki import ERAS, Era, format_wareki

# The shape of every accepted input, after NFKC (full-width → ASCII) and removing spaces.
_ERA_NAMES = "|".join(era.name for era in ERAS)
_ERA_LETTERS = "".join(era.letter for era in ERAS)
_KANJI = re.compile(rf"^(?P<era>{_ERA_NAMES})(?P<year>元|\d{{1,2}})年(?P<month>\d{{1,2}})月(?P<day>\d{{1,2}})日?$")
_LETTER = re.compile(rf"^(?P<era>[{_ERA_LETTERS}])(?P<year>\d{{1,2}})[./\-](?P<month>\d{{1,2}})[./\-](?P<day>\d{{1,2}})$",
                     re.IGNORECASE)
_WESTERN = re.compile(r"^(?P<year>\d{4})(?:[./\-]|年)(?P<month>\d{1,2})(?:[./\-]|月)(?P<day>\d{1,2})日?$")
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")

FORMAT_HINT = "令和8年12月5日、R8.12.5、2026-12-05 のように入力してください。"


class DateParseError(ValueError):
    """A Japanese message the form shows as it is."""


def _era(key: str) -> Era:
    for era in ERAS:
        if key in (era.name, era.letter) or key.upper() == era.letter:
            return era
    raise DateParseError(FORMAT_HINT)  # unreachable: the patterns list only known eras


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("－", "-").replace("ー", "-").replace("‐", "-").replace("―", "-")
    return re.sub(r"\s+", "", text)


def parse_date(text: str) -> datetime.date:
    """The day `text` names, or DateParseError with a Japanese message saying what is wrong."""
    value = _normalize(text)
    if not value:
        raise DateParseError("日付を入力してください。")
    for pattern in (_KANJI, _LETTER):
        match = pattern.match(value)
        if match:
            return _era_date(_era(match["era"]), match["year"], int(match["month"]), int(match["day"]), text)
    for pattern in (_WESTERN, _COMPACT):
        match = pattern.match(value)
        if match:
            return _real_date(int(match["year"]), int(match["month"]), int(match["day"]), text)
    raise DateParseError(f"「{text.strip()}」は日付として読めません。{FORMAT_HINT}")


def _real_date(year: int, month: int, day: int, text: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DateParseError(f"「{text.strip()}」という日はありません。") from None


def _era_date(era: Era, year_text: str, month: int, day: int, text: str) -> datetime.date:
    year = 1 if year_text == "元" else int(year_text)
    if year < 1:
        raise DateParseError(f"{era.name}は元年（1年）から数えます。")
    result = _real_date(era.start.year + year - 1, month, day, text)
    if result < era.start:
        raise DateParseError(f"「{text.strip()}」は{era.name}が始まる前の日です（{era.name}は{format_wareki(era.start)}から）。")
    newer = [e for e in ERAS if e.start > era.start]
    if newer and result >= min(e.start for e in newer):
        raise DateParseError(f"「{text.strip()}」は{format_wareki(result)}です。{era.name}はその前に終わっています。")
    return result


def era_table() -> list[dict]:
    """The era table for the browser's 和暦 preview (static/dates.js), from the same ERAS."""
    return [{"name": e.name, "letter": e.letter, "start": e.start.isoformat()} for e in ERAS]
