"""Headless Chromium: sign in to the portal with a card and read やりとり履歴 (and take a screenshot of each page)."""

import os

import pytest
from django.db import connections

from exchanges.services import receive_inquiry
from flags.services import open_protection_case
from institutions.models import Role
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from portal_sim import services
from tests import factories as f

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the live server's ORM calls run beside Playwright's loop

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    # A transactional test may run after another flushed the catalogue the data migration wrote.
    ensure_catalogue(InfoItem, Procedure)
    items = {i.code: i for i in InfoItem.objects.all()}
    procedures = {p.code: p for p in Procedure.objects.all()}
    insurer = f.InsurerFactory(name="Ａ健康保険組合")
    dept = f.DepartmentFactory(institution=insurer, name="業務部")
    alice = f.StaffFactory(username="alice", display_name="アリス 担当", department=dept, role=Role.CLERK)
    otsu = f.MunicipalityFactory(name="乙市")
    f.DepartmentFactory(institution=otsu, name="福祉課")
    ko = f.MunicipalityFactory(name="甲市")
    f.DepartmentFactory(institution=ko, name="税務課")
    person = f.PersonFactory(name="鈴木 一郎")
    member = f.MemberFactory(insurer=insurer, person=person)
    f.ReplicaFactory(member=member)
    for city, code in ((otsu, False), (ko, True)):
        receive_inquiry(inquirer=city, department=city.departments.first(), provider=insurer, subject=person,
                        procedure=procedures["welfare"], item=items["medical_eligibility"], nondisclosure_code=code)
    card = services.issue_card(person=person, pin="1234", card_number="CARD-BROWSER-01")
    victim = f.MemberFactory(insurer=insurer, person=f.PersonFactory(name="佐藤 花子"))
    f.ReplicaFactory(member=victim)
    abuser = f.PersonFactory(name="佐藤 太郎")
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, case_inquiry_about_abuser=True, linked_persons=[abuser], reason="本人の申出",
    )
    return {"card": card, "case": case}


def _shot(page, name):
    page.screenshot(path=f"/tmp/portal-{name}.png", full_page=True)


def test_sign_in_and_read_history(browser, live_server, world):
    try:
        _walk_through(browser, live_server, world)
    finally:
        # Under Playwright's sync API the test body runs in its own context, so Django opened a separate database
        # connection for it; close it here, or PostgreSQL refuses to drop the test database at the end.
        connections.close_all()


def _walk_through(browser, live_server, world):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/portal/")
    assert page.url.endswith("/portal/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    _shot(page, "login")

    page.fill("#id_card_number", "CARD-BROWSER-01")
    page.fill("#id_pin", "9999")
    page.click("button[type=submit]")
    # One message for a wrong PIN and an unknown card: no 「あと2回」 that would confirm the card exists.
    assert page.locator(".portal-error").inner_text() == "カード識別子または暗証番号が正しくありません。"
    _shot(page, "login-error")

    page.fill("#id_card_number", "CARD-BROWSER-01")
    page.fill("#id_pin", "1234")
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/")
    assert "鈴木 一郎 さんがログイン中" in page.locator(".portal-who").inner_text()
    _shot(page, "top")

    page.click("nav >> text=やりとり履歴")
    page.wait_for_url("**/portal/history/")
    rows = page.locator(".portal-history-table tbody tr")
    assert rows.count() == 1  # 甲市's inquiry carried 不開示コード
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[1:] == ["乙市", "福祉課", "社会保険診療報酬支払基金", "生活保護法による保護の決定及び実施に関する事務",
                         "医療保険資格関係情報"]
    assert "甲市" not in page.content()
    _shot(page, "history")

    page.click("nav >> text=あなたの情報")
    page.wait_for_url("**/portal/self-info/")
    assert "Ａ健康保険組合" in page.locator("main").inner_text()
    _shot(page, "self-info")

    page.click("nav >> text=代理人")
    page.wait_for_url("**/portal/proxies/")
    _shot(page, "proxies")

    page.click("nav >> text=ログアウト")
    page.wait_for_url("**/portal/logout/")
    _shot(page, "logout")
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/login/")
    assert "ログアウトしました。" in page.locator(".portal-messages").inner_text()

    # The staff preview of a protected person, after the staff login (a separate login).
    page.goto(live_server.url + f"/portal/staff-preview/case/{world['case'].pk}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/portal/staff-preview/case/{world['case'].pk}/")
    assert "回答なし" in page.locator("main").inner_text()
    _shot(page, "staff-preview")
    context.close()
