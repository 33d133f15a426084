"""引継ぎ in headless Chromium: the old insurer's clerk offers from the case page (with the warning to call the new
insurer), the new insurer's 責任者 passes the TOTP step and confirms it through the confirmation step."""

from django.urls import reverse
from django.utils import timezone

from flags.models import ProtectionCase, Setting
from flags.services import open_protection_case
from institutions.models import Role
from members.services import record_loss
from tests import factories as f
from tests.console.test_browser import items, page_for, procedures  # noqa: F401 (fixtures)


def test_old_insurer_offers_and_the_new_supervisor_confirms_the_handover(
    page_for, live_server, alice, bob, victim, abuser, insurer_b  # noqa: F811
):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser],
                                reason="本人の申出")
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    at_b = f.MemberFactory(insurer=insurer_b, person=victim.person, branch_number="B0000009")
    b_super = f.StaffFactory(username="bill", display_name="ビル 責任者", department=bob.department,
                             role=Role.SUPERVISOR)

    page = page_for(alice)
    page.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    page.click("#handover-link a")
    assert "すぐに、引継ぎ先の保険者へ" in page.inner_text("#handover-warning")
    page.select_option("#id_to_institution", label=insurer_b.name)
    page.fill("#id_consent_on", timezone.localdate().isoformat())
    page.check("#id_consent_confirmed")
    page.click("#handover-submit")
    page.click("#confirm-execute")
    page.wait_for_url(f"**/cases/{case.pk}/handover/")
    assert "確認待ち" in page.inner_text("main")
    assert not ProtectionCase.objects.filter(member=at_b).exists()  # nothing at B yet

    page = page_for(b_super)
    page.goto(live_server.url + reverse("console:dashboard"))
    assert "1" in page.inner_text("#handover-tile")
    page.click("#handover-tile")
    page.click("#handovers a")
    body = page.inner_text("main")
    assert "佐藤 太郎" in body and "不開示該当フラグ" in body and "アリス" not in body
    page.screenshot(path="/tmp/console-handover.png", full_page=True)
    page.click("#handover-confirm")
    page.screenshot(path="/tmp/console-handover-confirm.png", full_page=True)
    page.click("#confirm-execute")
    page.wait_for_url("**/cases/*/")
    new_case = ProtectionCase.objects.get(member=at_b)
    assert set(Setting.objects.filter(member=at_b).active().values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
    assert [link.person for link in new_case.linked_persons.all()] == [abuser]
