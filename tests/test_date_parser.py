"""Dates as the office writes them (issue 19 ③): the one parser (nakama/dates.py), its table of inputs."""

import datetime as dt

import pytest

from nakama.dates import DateParseError, parse_date

DEC5 = dt.date(2026, 12, 5)

# The table of inputs: what a clerk types → the day it names. Shared with the browser test of the 和暦 preview.
ACCEPTED = [
    ("令和8年12月5日", DEC5),
    ("R8.12.5", DEC5),
    ("R08/12/05", DEC5),
    ("r8-12-5", DEC5),
    ("2026-12-05", DEC5),
    ("2026/12/05", DEC5),
    ("2026.12.5", DEC5),
    ("2026年12月5日", DEC5),
    ("20261205", DEC5),
    ("令和８年１２月５日", DEC5),  # full-width digits
    ("Ｒ８．１２．５", DEC5),
    ("２０２６－１２－０５", DEC5),
    ("２０２６／１２／０５", DEC5),
    (" 令和 8年 12月 5日 ", DEC5),
    ("令和8年12月5", DEC5),
    ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("R1.5.1", dt.date(2019, 5, 1)),
    ("平成31年4月30日", dt.date(2019, 4, 30)),
    ("H31.4.30", dt.date(2019, 4, 30)),
    ("平成元年1月8日", dt.date(1989, 1, 8)),
    ("昭和64年1月7日", dt.date(1989, 1, 7)),
    ("S64.1.7", dt.date(1989, 1, 7)),
    ("昭和元年12月25日", dt.date(1926, 12, 25)),
    ("大正15年12月24日", dt.date(1926, 12, 24)),
    ("明治45年7月29日", dt.date(1912, 7, 29)),
    ("令和6年2月29日", dt.date(2024, 2, 29)),  # leap year in 和暦
]

REFUSED = [
    ("", "日付を入力してください。"),
    ("昨日", "「昨日」は日付として読めません。"),
    ("12/5", "「12/5」は日付として読めません。"),
    ("2026-13-45", "「2026-13-45」という日はありません。"),
    ("令和7年2月29日", "「令和7年2月29日」という日はありません。"),
    ("平成31年5月1日", "「平成31年5月1日」は令和元年5月1日です。平成はその前に終わっています。"),
    ("H32.1.1", "「H32.1.1」は令和2年1月1日です。平成はその前に終わっています。"),
    ("令和1年4月30日", "「令和1年4月30日」は令和が始まる前の日です（令和は令和元年5月1日から）。"),
    ("令和0年5月1日", "令和は元年（1年）から数えます。"),
    ("X8.12.5", "「X8.12.5」は日付として読めません。"),
]


@pytest.mark.parametrize(("typed", "day"), ACCEPTED)
def test_each_way_the_office_writes_a_date_is_read(typed, day):
    assert parse_date(typed) == day


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_what_is_not_a_day_is_refused_in_japanese(typed, message):
    with pytest.raises(DateParseError) as caught:
        parse_date(typed)
    assert str(caught.value).startswith(message)
