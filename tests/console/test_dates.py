"""和暦 on every page through one tag ({% jdate %}): each era boundary, JST, the viewer's choice, the portal always
in 和暦, and no template writing a date any other way."""

import datetime as dt
import pathlib
import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse

from institutions.models import DateStyle

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "templates"


def render(source: str, *, style: str | None = None, **values) -> str:
    request = SimpleNamespace(user=SimpleNamespace(date_style=style)) if style else None
    return Template("{% load jdates %}" + source).render(Context({"request": request, **values}))


@pytest.mark.parametrize(
    ("day", "wareki"),
    [
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
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
def test_each_era_boundary_through_the_tag(day, wareki):
    assert render("{% jdate d %}", style="wareki", d=day) == wareki
    assert render("{% jdate d %}", style="seireki", d=day) == f"{day.year}年{day.month}月{day.day}日"


def test_a_utc_time_is_shown_in_jst_on_the_japanese_day():
    at = dt.datetime(2019, 4, 30, 15, 30, 5, tzinfo=dt.UTC)  # 2019-05-01 00:30:05 JST: the first day of 令和
    assert render('{% jdate t "minute" %}', style="wareki", t=at) == "令和元年5月1日 00:30"
    assert render('{% jdate t "second" %}', style="seireki", t=at) == "2019年5月1日 00:30:05"


def test_iso_text_from_json_reads_as_a_date_and_other_text_is_left_alone():
    assert render("{% jdate d %}", style="wareki", d="2026-07-01") == "令和8年7月1日"
    assert render('{% jdate d "minute" %}', d="2026-11-27T12:17:33.572082+00:00") == "令和8年11月27日 21:17"
    assert render("{% jdate d %}", d="記号12") == "記号12"
    assert render('{% jdate d "day" empty="－" %}', d=None) == "－"


def test_the_portal_writes_wareki_whatever_the_staff_member_chose():
    source = '{% with date_style="wareki" %}{% jdate d %}{% endwith %}'
    assert render(source, style="seireki", d=dt.date(2026, 11, 27)) == "令和8年11月27日"


def test_no_template_writes_a_date_without_the_tag():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in TEMPLATES.rglob("*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\|\s*(date|time)\s*:", line) or re.search(r"\d{4}[/-]\d{2}[/-]\d{2}", line)
    ]
    assert offenders == []


def test_clerk_switches_to_seireki_and_the_member_page_follows(scene, alice, as_user):
    client = as_user(alice)
    member_url = reverse("console:member_detail", args=[scene.ordinary.pk])
    acquired = scene.ordinary.acquired_on
    assert f"令和{acquired.year - 2018}年{acquired.month}月{acquired.day}日" in client.get(member_url).content.decode()
    response = client.post(reverse("console:preferences"), {"date_style": DateStyle.SEIREKI})
    assert response.status_code == 302
    body = client.get(member_url).content.decode()
    assert f"{acquired.year}年{acquired.month}月{acquired.day}日" in body and "令和" not in body


def test_a_bad_choice_is_refused_in_japanese(alice, as_user):
    response = as_user(alice).post(reverse("console:preferences"), {"date_style": "julian"})
    assert response.status_code == 400
    assert "日付の表示を選び直してください。" in response.content.decode()
    alice.refresh_from_db()
    assert alice.date_style == DateStyle.WAREKI


def test_changing_the_display_setting_is_audited(alice, as_user):
    from audit.models import AuditEntry

    as_user(alice).post(reverse("console:preferences"), {"date_style": DateStyle.SEIREKI})
    entry = AuditEntry.objects.get(action="staff.preferences_changed")
    assert entry.after == {"date_style": "seireki"} and entry.actor == alice
