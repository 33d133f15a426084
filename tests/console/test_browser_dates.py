"""The date field in Chromium (issue 19 ③): typed as the office writes it, the 和暦 of what was typed appears beside
it (static/dates.js, no inline script) and agrees with the server's parser on the whole table of inputs; the
manual-response screen's 「資格情報の値を使う」 fills the highlighted field. Screenshots in /tmp/console-dates-*.png."""

import datetime
import os

from django.urls import reverse

from console.fields import preview_text
from members.models import Member
from tests.console.test_browser import items, page_for, procedures  # noqa: F401 (fixtures)
from tests.test_date_parser import ACCEPTED, REFUSED

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_the_wareki_of_what_was_typed_appears_beside_the_field(page_for, live_server, scene, alice):  # noqa: F811
    page = page_for(alice)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + reverse("console:case_detail", args=[scene.case.pk]))
    field = page.locator("#id_card_suspension_confirmed_on")
    assert field.get_attribute("type") == "text" and field.get_attribute("inputmode") == "text"
    preview = page.locator("#id_card_suspension_confirmed_on_wareki")
    for typed, day in ACCEPTED:
        field.fill(typed)
        assert preview.inner_text() == preview_text(day), typed
    for typed, _message in REFUSED:
        field.fill(typed)
        assert preview.inner_text() == ("" if not typed else "日付として読めません"), typed
    field.fill("R8.12.5")
    page.screenshot(path="/tmp/console-dates-preview.png", full_page=True)
    assert not errors, errors  # no CSP refusal, no script error


def test_the_recorded_loss_date_fills_the_field_with_one_click(page_for, live_server, scene, alice):  # noqa: F811
    record = scene.manual_record
    member = Member.objects.get(insurer_id=record.provider_id, person_id=record.subject_id)
    member.lost_on = datetime.date(2026, 7, 1)
    member.save(update_fields=["lost_on"])
    page = page_for(alice)
    page.goto(live_server.url + reverse("console:manual_response", args=[record.pk]))
    button = page.locator("button:has-text('資格情報の値を使う')")
    target = button.get_attribute("data-fill")
    button.click()
    assert page.locator(f"#{target}").input_value() == "令和8年7月1日"
    assert page.locator(f"#{target}_wareki").inner_text() == "令和8年7月1日（2026年）"
    page.screenshot(path="/tmp/console-dates-manual.png", full_page=True)
