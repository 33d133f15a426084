"""In headless Chromium: 別紙1 ※2 at completion (insurer A flags her while its inquiry waits at insurer B) and
別紙3 ④ with the abuser linked to her case (要注意照会対象) and no code ticked; the マイナポータル read in Chromium too.
Screenshots go to /tmp/console-linked-*.png."""

import os

import pytest
from django.db import connections
from django.urls import reverse

from exchanges.models import ExchangeRecord, ExchangeState
from exchanges.services import register_peer_replica
from flags.links import request_link_removal
from flags.policy import SettingKind
from flags.services import open_protection_case, set_setting
from portal_sim import services as portal
from signin.policy import needs_second_factor
from tests import factories as f
from tests.access_helpers import break_glass_in_browser
from tests.conftest import totp_code
from tests.console.test_browser import PASSWORD, check_page, items, procedures  # noqa: F401 (live-server catalogue fixtures)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def _open(user=None):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        if user is not None:
            code = totp_code(user) if needs_second_factor(user) else ""  # the device exists before the sign-in
            page.goto(live_server.url + reverse("console:login"))
            page.fill("#id_username", user.username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            if needs_second_factor(user):  # 責任者 / 監査者: the TOTP step
                page.wait_for_url("**/login/otp/**")
                page.fill("#id_otp_token", code)
                page.click("#id_otp_submit")
            page.wait_for_url(live_server.url + reverse("console:home"))
        return page

    yield _open
    for context in contexts:
        context.close()
    connections.close_all()  # the sync Playwright API made Django open another connection; let the test DB drop


def _portal_history(open_page, live_server, card_number, pin, principal_name=None) -> str:
    """Sign in to the simulated マイナポータル in Chromium and read やりとり履歴 (as proxy when a principal is given)."""
    page = open_page()
    page.goto(live_server.url + "/portal/login/")
    page.fill("#id_card_number", card_number)
    page.fill("#id_pin", pin)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/")
    if principal_name:
        page.click("nav >> text=代理人")
        page.wait_for_url("**/portal/proxies/")
        page.click("button:has-text('この方の情報を表示する')")
        page.wait_for_url("**/portal/")
        page.click("nav >> text=代理人")
        assert f"代理人として {principal_name} さんの情報を表示しています" in page.inner_text("main")
    page.click("nav >> text=やりとり履歴")
    page.wait_for_url("**/portal/history/")
    return page.locator("main").inner_text()


def _send_inquiry(page, *, procedure, item, provider, branch=None, sim_id=None):
    page.click("nav >> text=情報照会")
    if branch:
        page.check("input[name=subject_type][value=member]")
        page.fill("#id_branch_number", branch)
    else:
        page.check("input[name=subject_type][value=person]")
        page.fill("#id_sim_id", sim_id)
    page.select_option("#id_procedure", str(procedure.pk))
    page.select_option("#id_item", str(item.pk))
    page.select_option("#id_provider", str(provider.pk))
    page.click("button:has-text('確認画面へ')")
    page.wait_for_selector("h1:has-text('情報照会の確認')")


@pytest.mark.parametrize("flag_while_waiting", [True, False], ids=["a_flags_her_while_waiting", "control"])
def test_bessi1_2_console_a_flags_her_while_its_inquiry_waits_at_b_and_b_approves_without_code(
    flag_while_waiting, open_page, live_server, alice, bob, victim, abuser, insurer_b, procedures, items  # noqa: F811 (the live-server fixtures)
):
    at_b = f.MemberFactory(insurer=insurer_b, person=victim.person)
    f.ReplicaFactory(member=at_b)
    set_setting(actor=bob, member=at_b, kind=SettingKind.NO_AUTO_RESPONSE, reason="本人が自動応答を望まない")
    her_card = portal.issue_card(person=victim.person, pin="1111", card_number="CARD-HER-0001")
    portal.name_proxy(principal=victim.person, agent=abuser)
    his_card = portal.issue_card(person=abuser, pin="2222", card_number="CARD-HIS-0001")

    a_page = open_page(alice)
    _send_inquiry(a_page, procedure=procedures["eligibility_check"], item=items["medical_eligibility"],
                  provider=insurer_b, branch=victim.branch_number)
    a_page.click("button:has-text('送信する')")
    a_page.wait_for_selector("text=情報照会を送信しました（不開示コードなし）。")
    record = ExchangeRecord.objects.get()
    assert record.state == ExchangeState.MANUAL
    if flag_while_waiting:  # A learns she is its protected member and sets 不開示該当 on the member page
        a_page.goto(live_server.url + reverse("console:member_detail", args=[victim.pk]))
        a_page.select_option("#id_kind", SettingKind.NON_DISCLOSURE.value)
        a_page.fill("#id_reason", "DV被害の申出（A の被保険者として）")
        a_page.click("button:has-text('設定する')")
        a_page.click("#confirm-execute")  # the confirmation step before an irreversible act (issue 10 point 7)
        a_page.wait_for_selector("text=不開示該当フラグ")

    b_page = open_page(bob)
    b_page.goto(live_server.url + reverse("console:manual_response", args=[record.pk]))
    assert not b_page.is_checked("#id_nondisclosure_code")
    b_page.click("button:has-text('送信許可（情報提供する）')")
    b_page.click("#confirm-execute")
    b_page.wait_for_load_state()
    record.refresh_from_db()
    assert record.state == ExchangeState.PROVIDED and record.provision_code is False

    a_page.goto(live_server.url + reverse("console:exchange_detail", args=[record.pk]))
    views = [
        _portal_history(open_page, live_server, her_card.card_number, "1111"),  # she, or whoever holds her card
        _portal_history(open_page, live_server, his_card.card_number, "2222", principal_name=victim.name),  # proxy
    ]
    if flag_while_waiting:
        assert (record.inquiry_code, record.inquiry_code_source) == (True, "completion")
        assert "照会時: 完了時自動設定" in a_page.inner_text("main")
        check_page(a_page, "linked-bessi1-2-record")
        for text in views:
            assert "Ａ健康保険組合" not in text and "業務部" not in text
    else:
        assert not record.inquiry_code
        for text in views:
            assert "Ａ健康保険組合 業務部" in text


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "control_not_linked"])
def test_bessi3_4_console_inquiry_about_the_abuser_without_ticking_the_code(
    linked, open_page, live_server, alice, victim, abuser, city_ko, procedures, items  # noqa: F811 (the live-server fixtures)
):
    """別紙3 ④ with the abuser linked and nobody ticking 不開示コード: his own やりとり履歴 names no insurer; the same
    without the link shows 「Ａ健康保険組合 業務部」."""
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_inquiry_about_abuser=True,
                                linked_persons=[abuser] if linked else [])
    register_peer_replica(institution=city_ko, person=abuser, item=items["local_tax"], content={"所得": "5400000"})
    his_card = portal.issue_card(person=abuser, pin="2222", card_number="CARD-HIS-0002")

    page = open_page(alice)
    _send_inquiry(page, procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko,
                  sim_id=abuser.sim_id)
    if linked:
        notice = page.inner_text("#linked-notice")
        assert "この照会には不開示コードが自動で付きます" in notice and "要注意照会対象者" in notice
        assert f"設定対象者 第{case.pk}号" in notice
        assert page.locator("#id_nondisclosure_code").count() == 0
        check_page(page, "linked-inquiry-confirm")
    else:
        assert page.locator("#linked-notice").count() == 0 and not page.is_checked("#id_nondisclosure_code")
    page.click("button:has-text('送信する')")
    sent = "要注意照会対象" if linked else "不開示コードなし"
    page.wait_for_selector(f"text=情報照会を送信しました（{'不開示コード: ' if linked else ''}{sent}）。")
    his = _portal_history(open_page, live_server, his_card.card_number, "2222")
    if linked:
        assert ExchangeRecord.objects.get().inquiry_code_source == "linked"
        assert "Ａ健康保険組合" not in his and "業務部" not in his
    else:
        assert "Ａ健康保険組合 業務部" in his


def test_staff_link_a_person_on_the_case_page_and_another_supervisor_approves_the_removal(
    open_page, live_server, alice, sam, victim, abuser
):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_inquiry_about_abuser=True)
    page = open_page(alice)
    page.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    page.click("text=要注意照会対象者を追加する")
    page.fill("#id_sim_id", abuser.sim_id)
    page.fill("#id_reason", "加害者。避難先を探している")
    check_page(page, "linked-add")
    page.click("button:has-text('登録する')")
    page.wait_for_selector("text=要注意照会対象者を登録しました。")
    assert abuser.name in page.inner_text("#linked-persons")
    check_page(page, "linked-case-detail")
    page.click("#linked-persons >> text=削除を依頼する")
    check_page(page, "linked-removal-request")
    page.fill("#id_reason", "誤登録")
    page.click("button:has-text('削除を依頼する')")
    page.wait_for_selector("text=削除依頼を登録しました。")
    [link] = case.linked_persons.all()
    assert link.is_in_force

    sup = open_page(sam)
    sup.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    break_glass_in_browser(sup, "削除依頼の承認のため")  # not 担当 of the case (issue 17)
    sup.click("#linked-persons >> text=削除依頼（承認待ち）")
    check_page(sup, "linked-removal-decide")
    sup.click("button:has-text('承認して削除する')")
    sup.wait_for_selector("text=削除依頼を承認し、要注意照会対象者から削除しました。")
    link.refresh_from_db()
    assert not link.is_in_force


def test_requester_cannot_approve_their_own_link_removal(open_page, live_server, sam, victim, abuser, alice):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_inquiry_about_abuser=True, linked_persons=[abuser])
    removal = request_link_removal(actor=sam, link=case.linked_persons.get(), reason="誤登録")
    page = open_page(sam)
    page.goto(live_server.url + reverse("console:link_removal_detail", args=[removal.pk]))
    assert "ご自身が依頼した削除は承認できません" in page.inner_text("main")
    assert page.is_disabled("button:has-text('承認して削除する')")
