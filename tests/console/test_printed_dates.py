"""Every printed date in 和暦 (issue 19 ③): the registration confirmation's 見直し日, the dashboard chart's axis,
the confirmation of a 見直し日 change, the review-due command."""

import io
import re

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from flags.services import default_review_date
from nakama.wareki import format_wareki
from tests.console.test_cases import CASE_OK

SLASHED = re.compile(r"\d{4}/\d{1,2}/\d{1,2}|\b\d{1,2}/\d{1,2}\b")


def test_registration_confirmation_shows_the_review_date_in_wareki(victim, alice, as_user):
    response = as_user(alice).post(reverse("console:case_new", args=[victim.pk]), CASE_OK)
    body = response.content.decode()
    review_on = default_review_date(timezone.localdate())
    assert f"{format_wareki(review_on)}（登録から1年" in body
    assert f"{review_on:%Y/%m/%d}" not in body


def test_dashboard_chart_axis_is_in_wareki(scene, sam, as_user):
    body = as_user(sam).get(reverse("console:dashboard")).content.decode()
    svg = body[body.index("<svg"):body.index("</svg>")]
    ticks = re.findall(r'font-size="11">([^<]+)</text>', svg)
    assert not any(SLASHED.search(t) for t in ticks), ticks
    today = timezone.localdate()
    first = today - timezone.timedelta(days=13)
    assert f"{today.day}日" in ticks and f"{first.month}月" in ticks  # the month once, where the axis starts
    assert f"{format_wareki(first)}〜{format_wareki(today)}" in body


def test_review_date_change_message_is_in_wareki(scene, alice, as_user):
    review_on = timezone.localdate() + timezone.timedelta(days=30)
    response = as_user(alice).post(reverse("console:case_review_date", args=[scene.case.pk]),
                                   {"review_on": format_wareki(review_on), "reason": "面談の予定"}, follow=True)
    assert f"見直し日を {format_wareki(review_on)} にしました。" in response.content.decode()


def test_protections_due_prints_wareki(alice, victim):
    out = io.StringIO()
    call_command("protections_due", "--date", "2026-12-05", stdout=out)
    assert "令和8年12月5日 時点で" in out.getvalue() and "2026/12/05" not in out.getvalue()
