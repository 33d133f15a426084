"""The exposure sweep in headless Chromium: from the case page's banner to one confirmed 追記依頼 for every record
still shown, which the page then lists as 「処理中：まだ表示されています」 until NWS processes it."""

from django.urls import reverse

from exchanges.nws import process_pending_append_requests
from exchanges.selectors import portal_history
from exchanges.services import InquiryRequest, send_inquiry
from flags.services import open_protection_case
from tests.console.test_browser import items, page_for, procedures  # noqa: F401 (fixtures)


def test_clerk_sweeps_a_new_case_from_the_banner_and_confirms_the_append_requests(
    page_for, live_server, alice, victim, abuser, city_ko, items, procedures  # noqa: F811
):
    def asks(**who):
        return send_inquiry(actor=alice, request=InquiryRequest(
            procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, **who))

    about_her, about_him = asks(member=victim), asks(sim_id=abuser.sim_id)
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, linked_persons=[abuser], reason="本人の申出")
    page = page_for(alice)
    page.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    assert "2件" in page.inner_text("#exposure-banner")
    page.click("#exposure-banner a")
    page.wait_for_url(f"**/cases/{case.pk}/exposure/")
    rows = page.inner_text("#exposure")
    assert "佐藤 花子さんのマイナポータル：カードを持つ人・代理人" in rows and "Ａ健康保険組合 業務部" in rows
    page.screenshot(path="/tmp/console-exposure.png", full_page=True)
    for box in page.query_selector_all("input[name=records]"):
        box.check()
    page.fill("#id_reason", "設定対象者の登録前の記録（別紙2 §4）")
    page.click("#sweep-submit")
    assert "2件の追記依頼を行う" in page.inner_text("#confirm-execute")
    page.screenshot(path="/tmp/console-exposure-confirm.png", full_page=True)
    page.click("#confirm-execute")
    page.wait_for_url(f"**/cases/{case.pk}/exposure/")
    assert page.inner_text("#exposure").count("処理中：まだ表示されています") == 2
    assert page.query_selector("input[name=records]") is None  # exactly once: not selectable again
    assert about_her in portal_history(person=victim.person) and about_him in portal_history(person=abuser)
    page.screenshot(path="/tmp/console-exposure-pending.png", full_page=True)
    process_pending_append_requests()
    page.reload()
    assert "表示されたままの記録はありません" in page.inner_text("#exposure")
    assert portal_history(person=abuser) == []
