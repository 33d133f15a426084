"""The audit trail and the 情報提供内容入力画面 in headless Chromium at 1280 px: the trail's 日時・実行者・操作 never wrap,
and staff enter a response with no 副本. Screenshots go to /tmp/console-office-*.png."""

import datetime
import os

from django.urls import reverse

from audit.services import record
from members.models import Replica
from members.services import record_loss
from tests.console.test_browser import check_page, items, page_for, procedures  # noqa: F401 (fixtures)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ONE_LINE = """() => Array.from(document.querySelectorAll('table.audit tbody tr')).flatMap(tr =>
  Array.from(tr.querySelectorAll('td')).slice(0, 3).map(td => {
    const range = document.createRange(); range.selectNodeContents(td);
    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    return [td.innerText, tops.size];
  }))"""


def test_audit_trail_columns_do_not_wrap_at_1280(page_for, live_server, scene, alice, audrey):  # noqa: F811
    alice.display_name = "長谷川 久美子 主任担当"
    alice.save()
    for n in range(60):
        record(actor=alice, action="manual_response.approved", target=scene.manual_record, message=f"確認 {n}")
    page = page_for(audrey)
    page.goto(live_server.url + reverse("console:audit_trail"))
    cells = page.evaluate(ONE_LINE)
    assert cells and all(lines == 1 for _text, lines in cells), [c for c in cells if c[1] != 1]
    assert page.locator("text=さらに古い記録へ").count() == 1
    check_page(page, "office-audit-trail")


def test_clerk_enters_a_response_with_no_replica_and_sees_the_loss_date(page_for, live_server, scene, alice):  # noqa: F811
    Replica.objects.filter(person=scene.ordinary.person).delete()
    record_loss(actor=alice, member=scene.ordinary, lost_on=datetime.date(2026, 7, 1))
    page = page_for(alice)
    page.goto(live_server.url + reverse("console:manual_response", args=[scene.manual_record.pk]))
    assert page.locator("text=副本が登録されていないため、提供する内容を入力してください").count() == 1
    check_page(page, "office-manual-no-replica")
    page.fill("input[name=field_0]", "Ａ健康保険組合")
    page.fill("input[name=field_4]", "2026-07-01")
    page.click("button:has-text('送信許可')")
    # Fill → confirm → send: lifecycle's confirmation step (issue 10 point 7) comes before anything is sent.
    page.wait_for_selector("h1:has-text('確認: 送信許可')")
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == "manual"
    page.click("#confirm-execute")
    page.wait_for_url(live_server.url + reverse("console:manual_queue"))
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.provided_content["資格喪失日"] == "2026-07-01"
