"""Headless Chromium: a person with more records than a page follows the link to older ones and back."""

import os

import pytest
from django.db import connections

from exchanges import selectors as exchange_selectors
from exchanges.services import receive_inquiry
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from portal_sim import services
from tests import factories as f

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def test_older_records_behind_a_link(browser, live_server, transactional_db, monkeypatch):
    monkeypatch.setattr(exchange_selectors, "PORTAL_HISTORY_PAGE", 3)
    ensure_catalogue(InfoItem, Procedure)
    insurer = f.InsurerFactory(name="Ａ健康保険組合")
    city = f.MunicipalityFactory(name="乙市")
    f.DepartmentFactory(institution=city, name="福祉課")
    person = f.PersonFactory(name="鈴木 一郎")
    f.MemberFactory(insurer=insurer, person=person)
    procedure, item = Procedure.objects.get(code="welfare"), InfoItem.objects.get(code="medical_eligibility")
    for _ in range(5):
        receive_inquiry(inquirer=city, department=city.departments.first(), provider=insurer, subject=person,
                        procedure=procedure, item=item)
    services.issue_card(person=person, pin="1234", card_number="CARD-PAGING-01")
    try:
        context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 800})
        page = context.new_page()
        page.goto(live_server.url + "/portal/login/")
        page.fill("#id_card_number", "CARD-PAGING-01")
        page.fill("#id_pin", "1234")
        page.click("button[type=submit]")
        page.wait_for_url("**/portal/")
        page.click("nav >> text=やりとり履歴")
        page.wait_for_url("**/portal/history/")
        assert page.locator(".portal-history-table tbody tr").count() == 3
        page.screenshot(path="/tmp/portal-history-page1.png", full_page=True)
        page.click("text=さらに古いやりとりを表示")
        page.wait_for_url("**/portal/history/?before=*")
        assert page.locator(".portal-history-table tbody tr").count() == 2
        assert page.locator("text=さらに古いやりとりを表示").count() == 0
        page.screenshot(path="/tmp/portal-history-page2.png", full_page=True)
        page.click("text=最新のやりとりに戻る")
        page.wait_for_url("**/portal/history/")
        assert page.locator(".portal-history-table tbody tr").count() == 3
        context.close()
    finally:
        connections.close_all()
