"""Who looked at her, in headless Chromium (issue 17 point 6): a colleague who is not 担当 is asked for a reason
before her page opens, and the auditor's weekly digest lists that look-up first, with its reason."""

from django.urls import reverse

from flags.services import open_protection_case
from institutions.models import Role
from tests import factories as f
from tests.console.test_browser import page_for  # noqa: F401 (fixture)


def test_a_colleague_breaks_the_glass_and_the_auditor_reads_it_in_the_digest(
    flushed_catalogue, page_for, live_server, alice, audrey, victim, dept_a  # noqa: F811
):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    carol = f.StaffFactory(username="carol", display_name="キャロル 担当", department=dept_a, role=Role.CLERK)
    page = page_for(carol)
    page.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    assert "閲覧理由の入力" in page.inner_text("h1") and "佐藤 花子" not in page.content()
    page.screenshot(path="/tmp/console-glass.png", full_page=True)
    page.fill("#id_reason", "本人から電話で給付の問合せ")
    page.click("#glass-submit")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "佐藤 花子" in page.inner_text("h1")
    assert "本人から電話で給付の問合せ" in page.inner_text("#access-log")
    page.screenshot(path="/tmp/console-case-access.png", full_page=True)

    alice_page = page_for(alice)  # 担当: straight in, recorded as 担当
    alice_page.goto(live_server.url + reverse("console:member_detail", args=[victim.pk]))
    assert "佐藤 花子" in alice_page.content()

    auditor = page_for(audrey)
    auditor.click("nav >> text=閲覧記録")
    auditor.wait_for_url("**/access-digest/**")
    rows = auditor.query_selector_all("#digest tbody tr")
    assert len(rows) == 2
    first, second = rows[0].inner_text(), rows[1].inner_text()
    assert "キャロル 担当" in first and "担当外" in first and "本人から電話で給付の問合せ" in first
    assert "アリス 担当" in second
    assert auditor.inner_text("#outside-count") == "1"
    assert "/access-digest/csv/?week=" in auditor.get_attribute("#digest-csv", "href")
    auditor.screenshot(path="/tmp/console-access-digest.png", full_page=True)


def test_the_case_list_shows_her_masked_to_a_colleague_until_he_gives_a_reason(
    flushed_catalogue, page_for, live_server, alice, victim, dept_a  # noqa: F811
):
    """The list that names every protected person is the colleague's easiest look-up: masked, 「保護対象者」 with the
    case number only, until the reason is given on her case page; then the list names her."""
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    carol = f.StaffFactory(username="carol", display_name="キャロル 担当", department=dept_a, role=Role.CLERK)
    page = page_for(carol)
    page.click("nav >> text=設定対象者")
    listed = page.inner_text("main table")
    assert "保護対象者" in listed and "佐藤 花子" not in page.content() and victim.branch_number not in listed
    page.screenshot(path="/tmp/console-case-list-masked.png", full_page=True)
    page.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    page.fill("#id_reason", "本人から電話で給付の問合せ")
    page.click("#glass-submit")
    page.wait_for_url(f"**/cases/{case.pk}/")
    page.click("nav >> text=設定対象者")
    assert "佐藤 花子" in page.inner_text("main table")
