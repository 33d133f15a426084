"""The one way a template shows a date or a time: {% jdate value %} (和暦 or 西暦, as the viewer chose).

和暦 comes from nakama/wareki.py (元年 and each era change there). Both styles write 年月日, never 2026/11/27 or
2026-11-27, so the console, the portal and the manual-response screen read alike. The portal always uses 和暦;
it sets `date_style` in its base template. Staff choose on the 表示設定 page (Staff.date_style).
"""

import datetime

from django import template
from django.utils import timezone

from nakama.wareki import format_wareki

register = template.Library()

WAREKI, SEIREKI = "wareki", "seireki"
PRECISIONS = ("day", "minute", "second", "monthday", "axis")


def viewer_style(context) -> str:
    """`date_style` set by the page (the portal), else the signed-in staff member's choice, else 和暦."""
    style = context.get("date_style")
    if style in (WAREKI, SEIREKI):
        return style
    request = context.get("request")
    style = getattr(getattr(request, "user", None), "date_style", "")
    return style if style in (WAREKI, SEIREKI) else WAREKI


def format_date(value, *, style: str = WAREKI, precision: str = "day") -> str:
    """令和8年11月27日 / 2026年11月27日, with 21:17 or 21:17:51 after it; 11月27日 (monthday); 27日 (axis: a chart's
    tick, its month written once below where it changes and the era year in the chart's caption)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}")
    if isinstance(value, str):
        value = _parse(value)
        if isinstance(value, str):
            return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)  # JST (TIME_ZONE)
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        return "" if value is None else str(value)
    if precision == "monthday":
        return f"{day.month}月{day.day}日"
    if precision == "axis":
        return f"{day.day}日"
    text = format_wareki(day) if style == WAREKI else f"{day.year}年{day.month}月{day.day}日"
    if precision == "day" or not isinstance(value, datetime.datetime):
        return text
    return f"{text} {value:%H:%M}" if precision == "minute" else f"{text} {value:%H:%M:%S}"


def _parse(text: str):
    """ISO dates and times as JSON keeps them (audit before/after, 副本 content); anything else is returned as is."""
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        if len(text) >= 16 and text[4] == "-" and text[10] in "T ":
            return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    return text


@register.simple_tag(takes_context=True)
def jdate(context, value, precision: str = "day", empty: str = "") -> str:
    """{% jdate member.birth_date %}, {% jdate record.inquired_at "minute" %}, {% jdate x "day" empty="－" %}."""
    if value is None or value == "":
        return empty
    return format_date(value, style=viewer_style(context), precision=precision)
