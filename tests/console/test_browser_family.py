"""In headless Chromium: a clerk names her daughter as 同伴者 on the case page (the protections are set at once), and
the case page says what Nakama's own card and proxy records contradict. Screenshots go to /tmp/console-family-*.png."""

import os

from flags.models import Setting
from flags.services import open_protection_case
from portal_sim import services as portal
from tests import factories as f
from tests.console.test_browser import PASSWORD, check_page, items, page_for, procedures  # noqa: F401 (live-server fixtures)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_clerk_names_the_child_on_the_case_page_and_sees_the_facts(page_for, live_server, alice, victim, abuser):  # noqa: F811
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])
    child = f.MemberFactory(insurer=victim.insurer, person=f.PersonFactory(name="佐藤 さくら", kana="サトウ サクラ"),
                            branch_number="A0000020")
    portal.name_proxy(principal=victim.person, agent=abuser)
    page = page_for(alice)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert "要注意照会対象者（加害者など）が代理人に設定されたままです" in page.inner_text("#card-procedures-contradicted")
    page.click("text=同伴者を追加する")
    page.fill("#id_branch_number", "A0000020")
    page.fill("#id_relation", "子")
    page.fill("#id_reason", "母と共に避難")
    page.click("button:has-text('登録して保護を設定する')")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "佐藤 さくら" in page.inner_text("#companions") and "保護中" in page.inner_text("#companions")
    check_page(page, "family-case")
    assert Setting.objects.active().filter(member=child, case=case).count() == 2
