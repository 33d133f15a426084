"""和暦: every era boundary, 元年, and the days before 明治."""

import datetime as dt

import pytest

from nakama.wareki import ERAS, era_of, format_wareki


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 27), "令和8年11月27日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2020, 1, 1), "令和2年1月1日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1926, 12, 24), "大正15年12月24日"),
        (dt.date(1912, 7, 30), "大正元年7月30日"),
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.date(1868, 10, 23), "明治元年10月23日"),
        (dt.date(1868, 10, 22), "1868年10月22日"),
    ],
)
def test_each_era_boundary_and_gannen(day, expected):
    assert format_wareki(day) == expected


def test_datetime_is_read_as_its_date():
    assert format_wareki(dt.datetime(2019, 5, 1, 0, 0)) == "令和元年5月1日"


def test_eras_are_newest_first_so_the_first_match_is_right():
    starts = [era.start for era in ERAS]
    assert starts == sorted(starts, reverse=True)
    assert era_of(dt.date(1900, 1, 1))[0].name == "明治"
