"""引継ぎ in headless Chromium: the old insurer's clerk offers from the case page; she is already the new insurer's
member, so the protection applies at once (引継ぎによる仮設定); the new insurer's clerk sees 引継ぎ確認待ち on her
page, in the search results, on the inquiry confirmation (about her and about the offered abuser) and on her case
page; the 責任者 passes the TOTP step and confirms through the confirmation step."""

from django.urls import reverse
from django.utils import timezone

from flags.handover import offer_handover
from flags.models import ProtectionCase, Setting
from flags.services import open_protection_case, update_case_checklist
from institutions.models import Role
from members.services import enrol_member, record_loss
from tests import factories as f
from tests.console.test_browser import items, page_for, procedures  # noqa: F401 (fixtures)


def _her_case_and_loss(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser],
                                reason="本人の申出")
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    return case


def test_old_insurer_offers_and_the_new_supervisor_confirms_the_handover(
    page_for, live_server, alice, bob, victim, abuser, insurer_b  # noqa: F811
):
    case = _her_case_and_loss(alice, victim, abuser)
    update_case_checklist(actor=alice, case=case, card_suspension_not_applicable=True,
                          card_suspension_not_applicable_reason="カードは本人が所持")  # travels with the checklist
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
    provisional = ProtectionCase.objects.get(member=at_b)  # she is B's member: protected from the offer on

    page = page_for(b_super)
    page.goto(live_server.url + reverse("console:dashboard"))
    assert "1" in page.inner_text("#handover-tile")
    page.click("#handover-tile")
    page.click("#handovers a")
    body = page.inner_text("main")
    assert "佐藤 太郎" in body and "不開示該当フラグ" in body and "アリス" not in body
    assert "ケース①" in page.inner_text("#handover-cases") and "仮設定されています" in body
    assert "対象外（理由: カードは本人が所持）" in page.inner_text("#handover-checklist")
    page.screenshot(path="/tmp/console-handover.png", full_page=True)
    page.click("#handover-confirm")
    page.screenshot(path="/tmp/console-handover-confirm.png", full_page=True)
    page.click("#confirm-execute")
    page.wait_for_url(f"**/cases/{provisional.pk}/")
    assert page.locator("#handover-pending-notice").count() == 0  # decided: no longer waiting
    assert set(Setting.objects.filter(member=at_b).active().values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
    assert [link.person for link in provisional.linked_persons.all()] == [abuser]


def test_the_new_insurers_clerk_sees_handover_pending_on_her_page_and_the_inquiry_confirmation(
    page_for, live_server, alice, bob, victim, abuser, insurer_b, city_ko, procedures, items  # noqa: F811
):
    case = _her_case_and_loss(alice, victim, abuser)
    offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())
    page = page_for(bob)
    # B enrols her (the API's 加入; the console has no enrolment page): she is protected in the same step.
    at_b = enrol_member(actor=bob, person=victim.person, branch_number="B0000009", name=victim.name,
                        kana=victim.kana, birth_date=victim.birth_date, acquired_on=timezone.localdate())

    page.click("nav >> text=被保険者検索")
    page.fill("#id_branch_number", "B0000009")
    page.click("button:has-text('検索')")
    assert "引継ぎ確認待ち" in page.inner_text("main table")
    page.click("text=B0000009")
    assert "引継ぎ確認待ち" in page.inner_text("#handover-pending-notice")
    page.screenshot(path="/tmp/console-handover-member.png", full_page=True)

    for subject in ("member", "person"):  # about her, then about the abuser the offer names
        page.click("nav >> text=情報照会")
        page.check(f"input[name=subject_type][value={subject}]")
        if subject == "member":
            page.fill("#id_branch_number", at_b.branch_number)
        else:
            page.fill("#id_sim_id", abuser.sim_id)
        page.select_option("#id_procedure", str(procedures["koki_premium"].pk))
        page.select_option("#id_item", str(items["local_tax"].pk))
        page.select_option("#id_provider", str(city_ko.pk))
        page.click("button:has-text('確認画面へ')")
        notice = page.inner_text("#handover-pending-notice")
        assert "引継ぎ確認待ち" in notice
        assert ("要注意照会対象者" in notice) == (subject == "person")
        page.screenshot(path=f"/tmp/console-handover-inquiry-{subject}.png", full_page=True)

    page.goto(live_server.url + reverse("console:case_detail", args=[ProtectionCase.objects.get(member=at_b).pk]))
    assert "引継ぎ確認待ち" in page.inner_text("#handover-pending-notice")


def test_the_new_insurers_clerk_sees_handover_pending_on_the_childs_page(
    page_for, live_server, alice, bob, victim, abuser, insurer_b  # noqa: F811
):
    """A child who fled with her (同伴者), enrolled at B before her: protected at once, and B's page of the child says
    引継ぎ確認待ち as a 同伴者 of the offer."""
    from flags.family import add_companion

    case = _her_case_and_loss(alice, victim, abuser)
    child = f.MemberFactory(insurer=case.institution, person=f.PersonFactory(name="佐藤 さくら"),
                            branch_number="A0000002")
    add_companion(actor=alice, case=case, member=child, relation="子", reason="母と共に避難")
    offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())
    child_at_b = enrol_member(actor=bob, person=child.person, branch_number="B0000010", name=child.name,
                              kana=child.kana, birth_date=child.birth_date, acquired_on=timezone.localdate())
    assert Setting.objects.active().filter(member=child_at_b).count() == 2

    page = page_for(bob)
    page.goto(live_server.url + reverse("console:member_detail", args=[child_at_b.pk]))
    if page.locator("#id_reason").count():  # not 担当 of any case naming the child: a reason first (break the glass)
        page.fill("#id_reason", "加入手続の確認")
        page.click("#glass-submit")
    notice = page.inner_text("#handover-pending-notice")
    assert "引継ぎ確認待ち" in notice and "同伴者" in notice
    settings_text = page.inner_text("main")
    assert "引継ぎによる仮設定で設定" in settings_text and "引継ぎによる仮設定・引継ぎによる仮設定" not in settings_text
    page.screenshot(path="/tmp/console-handover-child.png", full_page=True)
