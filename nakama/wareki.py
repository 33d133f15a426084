"""和暦 (Japanese era dates): the modern eras as a small table, 元年 for the first year of each.

Dates before 明治 (1868-10-23, the Gregorian day of the 改元) have no era here and are written in 西暦.
"""

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R (used on forms as R8.11.27)
    start: datetime.date  # first day of the era (Gregorian)


# Newest first; each era runs from its start to the day before the next one starts.
ERAS = (
    Era("令和", "R", datetime.date(2019, 5, 1)),
    Era("平成", "H", datetime.date(1989, 1, 8)),
    Era("昭和", "S", datetime.date(1926, 12, 25)),
    Era("大正", "T", datetime.date(1912, 7, 30)),
    Era("明治", "M", datetime.date(1868, 10, 23)),
)


def era_of(day: datetime.date) -> tuple[Era, int] | None:
    """The era a day falls in and its year within the era (1 = 元年), or None before 明治."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    for era in ERAS:
        if day >= era.start:
            return era, day.year - era.start.year + 1
    return None


def year_label(era: Era, year: int) -> str:
    return f"{era.name}{'元' if year == 1 else year}年"


def format_wareki(day: datetime.date) -> str:
    """令和8年11月27日; 令和元年5月1日; 西暦 (2026年11月27日 form) before 明治."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    found = era_of(day)
    if found is None:
        return f"{day.year}年{day.month}月{day.day}日"
    era, year = found
    return f"{year_label(era, year)}{day.month}月{day.day}日"
