"""The console in headless Chromium: the 別紙3 staff steps, and every page at 1280×800 in Japanese without
horizontal scrolling. Screenshots go to /tmp/console-*.png."""

import os
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchanges.models import ExchangeRecord
from exchanges.selectors import portal_history
from flags.models import ProtectionCase, Setting
from flags.policy import SettingKind
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from signin.policy import needs_second_factor
from tests.access_helpers import break_glass_in_browser
from tests.conftest import totp_code
from tests.console.permission_matrix import PAGES

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "pw-for-tests-1"
# DV: the seed's own word (別紙2). UTF/BOM/Shift/JIS/cp (cp932)/Excel: the encodings of the settings CSV, by name.
# QR: 「QRコード」 of a new authenticator (/account/second-factor/).
ALLOWED_WORDS = {"Nakama", "CSV", "API", "ID", "SIM", "NWS", "DV", "UTF", "BOM", "Shift", "JIS", "cp", "Excel", "QR"}
CODES = re.compile(r"SIM-[A-Z0-9]+-[A-Z0-9]+|[0-9a-f]{8}-[0-9a-f-]{27}|\b[A-Za-z]*\d[A-Za-z0-9]*\b")


@pytest.fixture
def items(live_server):
    """live_server tests run on a flushed database: put the 特定個人情報 / 事務 catalogue back first."""
    ensure_catalogue(InfoItem, Procedure)
    return {item.code: item for item in InfoItem.objects.all()}


@pytest.fixture
def procedures(items):
    return {p.code: p for p in Procedure.objects.all()}


@pytest.fixture
def page_for(browser, live_server):
    contexts = []

    def open_as(user):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        code = totp_code(user) if needs_second_factor(user) else ""  # the device exists before the sign-in
        page.goto(live_server.url + reverse("console:login"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        if needs_second_factor(user):  # 責任者 / 監査者: the TOTP step, with the code their app would show
            page.wait_for_url("**/login/otp/**")
            page.fill("#id_otp_token", code)
            page.click("#id_otp_submit")
        page.wait_for_url(live_server.url + reverse("console:home"))
        return page

    yield open_as
    for context in contexts:
        context.close()


def english_words(page) -> list[str]:
    text = page.evaluate(
        "() => { const b = document.body.cloneNode(true);"
        " b.querySelectorAll('.code, script, style').forEach(e => e.remove()); return b.innerText || b.textContent; }"
    )
    text = CODES.sub(" ", text)
    return sorted({w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED_WORDS})


def check_page(page, shot: str) -> None:
    assert page.get_attribute("html", "lang") == "ja"
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"), shot
    assert english_words(page) == [], shot
    page.screenshot(path=f"/tmp/console-{shot}.png", full_page=True)


def test_clerk_opens_a_protection_case_and_sets_the_flags(page_for, live_server, alice, victim, abuser):
    page = page_for(alice)
    page.click("nav >> text=被保険者検索")
    page.fill("#id_kana", "さとう")
    page.click("button:has-text('検索')")
    page.click(f"text={victim.branch_number}")
    page.click("text=設定対象者として登録する")
    for label in ("ア DV・虐待等被害者", "イ 加害者の下から", "ウ 本人から", "ケース① マイナンバーカード", "ケース② 加害者に係る"):
        page.get_by_label(label).check()
    page.fill("#id_linked", abuser.sim_id)
    page.fill("#id_reason", "本人の申出（別紙2 ケース①・②）")
    page.wait_for_selector("#linked-found li")  # the name found as it is typed (console/intake.js)
    check_page(page, "flow-case-new")
    page.click("#intake-submit")
    # Confirmation step (issue 10 point 7): what will happen to her, in plain Japanese; nothing written yet.
    page.wait_for_selector("h1:has-text('確認: 設定対象者の登録')")
    assert "不開示該当フラグを設定します。" in page.inner_text("#confirm-settings")
    assert "自己情報提供不可フラグを設定します。" in page.inner_text("#confirm-settings")
    assert not ProtectionCase.objects.filter(member=victim).exists()
    check_page(page, "flow-case-new-confirm")
    page.click("#confirm-execute")
    page.wait_for_selector("text=設定対象者を登録しました。")
    check_page(page, "flow-case-detail")
    case = ProtectionCase.objects.get(member=victim)
    assert [link.person for link in case.linked_persons.all()] == [abuser]
    kinds = set(Setting.objects.active().filter(member=victim, item__isnull=True).values_list("kind", flat=True))
    assert kinds == {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}


def test_clerk_sends_an_inquiry_about_the_linked_abuser_and_the_code_is_attached(page_for, scene, alice, abuser,
                                                                                 city_ko, procedures, items):
    """別紙3 ④: the insurer asks 甲市 about the abuser linked to her case; 不開示コード every time, by the system, so
    his やりとり履歴 stays silent."""
    before = set(ExchangeRecord.objects.values_list("pk", flat=True))
    page = page_for(alice)
    page.click("nav >> text=情報照会")
    page.check("input[name=subject_type][value=person]")
    page.fill("#id_sim_id", abuser.sim_id)
    page.select_option("#id_procedure", str(procedures["kenpo_benefit"].pk))
    page.select_option("#id_item", str(items["local_tax"].pk))
    page.select_option("#id_provider", str(city_ko.pk))
    check_page(page, "flow-inquiry-form")
    page.click("button:has-text('確認画面へ')")
    page.wait_for_selector("#linked-notice")
    assert "不開示コードが自動で付きます" in page.inner_text("#linked-notice")
    assert page.locator("#id_nondisclosure_code").count() == 0
    check_page(page, "flow-inquiry-confirm-abuser")
    page.click("button:has-text('送信する')")
    page.wait_for_selector("text=情報照会を送信しました（不開示コード: 要注意照会対象）。")
    check_page(page, "flow-inquiry-sent")
    [new] = ExchangeRecord.objects.exclude(pk__in=before)
    assert new.subject == abuser and new.inquiry_code and new.inquiry_code_source == "linked"
    assert new not in portal_history(person=abuser)


def test_auditor_sees_a_hidden_record(page_for, scene, audrey):
    page = page_for(audrey)
    page.click("nav >> text=やりとり履歴")
    page.select_option("#id_code", "inquiry")
    page.click("button:has-text('絞り込む')")
    row = page.locator("table.records tbody tr").first
    text = row.inner_text()
    assert "取り扱い注意" in text and "非表示" in text and "手動設定（アリス 担当）" in text
    assert scene.abuser_record not in portal_history(person=scene.abuser_record.subject)
    check_page(page, "flow-auditor-hidden")


def test_every_console_page_at_1280x800_is_japanese_without_horizontal_scroll(page_for, live_server, scene, alice,
                                                                              sam, audrey):
    by_role = {"clerk": alice, "supervisor": sam, "auditor": audrey}
    seen = 0
    for role, user in by_role.items():
        page = page_for(user)
        for name, entry in PAGES.items():
            if role not in entry.read or entry.download:
                continue
            url = reverse(name, kwargs=entry.kwargs(scene) if entry.kwargs else None) + entry.query
            response = page.goto(live_server.url + url)
            assert response.status == 200, (role, name)
            check_page(page, f"{role}-{name.split(':')[1]}")
            seen += 1
    assert seen >= len(PAGES)


def test_case_1_flags_cleared_after_dated_card_procedures_and_the_case_closed_four_eyes(page_for, live_server, scene,
                                                                                        alice, sam, sue):
    """Issue 10 points 4, 5, 7 in Chromium: the approval page shows the dated checklist; approving goes through the
    confirmation step; the case is then closed by a clerk's request and another supervisor's approval."""
    case = scene.case
    # The scene's pending request on 不開示該当 was made after the procedures were dated: sam sees them and approves.
    page = page_for(sam)
    page.goto(live_server.url + reverse("console:clearing_detail", args=[scene.clearing_request.pk]))
    text = page.inner_text(".card-procedures")
    assert "令和8年4月10日" in text and "カード停止等手続の完了が日付とともに記録されています" in text
    check_page(page, "flow-clearing-detail-checklist")
    page.click("button:has-text('承認して解除する')")
    page.wait_for_selector("h1:has-text('確認: 解除の承認')")
    assert "やりとり履歴に表示され" in page.inner_text("main")
    check_page(page, "flow-clearing-confirm")
    scene.setting.refresh_from_db()
    assert scene.setting.is_active, "nothing is cleared before the confirmation"
    page.click("#confirm-execute")
    page.wait_for_selector("text=解除依頼を承認し、設定を解除しました。")
    scene.setting.refresh_from_db()
    assert not scene.setting.is_active and scene.setting.cleared_by == sam
    # The clerk asks to close the case, clearing its remaining flag (自己情報提供不可) in the same step.
    clerk = page_for(alice)
    clerk.goto(live_server.url + reverse("console:case_detail", args=[case.pk]))
    clerk.fill("#closure textarea[name=reason]", "加害者が遠方に転居し、本人から終了の申出")
    clerk.check("#closure input[name=clear_settings]")
    clerk.click("button:has-text('終了を依頼する')")
    clerk.wait_for_selector("text=終了依頼を登録しました。")
    check_page(clerk, "flow-case-close-requested")
    # Another supervisor approves through the confirmation step; the case page shows it closed.
    other = page_for(sue)
    closure = case.closures.get(state="pending")
    other.goto(live_server.url + reverse("console:closure_detail", args=[closure.pk]))
    other.click("button:has-text('承認して終了する')")
    other.wait_for_selector("h1:has-text('確認: 設定対象者の終了の承認')")
    assert "自己情報提供不可フラグ（全体）を解除します" in other.inner_text("main")
    check_page(other, "flow-closure-confirm")
    other.click("#confirm-execute")
    break_glass_in_browser(other, "終了の承認後の確認")  # sue is not 担当 of the case (issue 17)
    other.wait_for_selector("#case-closed")
    check_page(other, "flow-case-closed")
    case.refresh_from_db()
    assert not case.is_open and case.closed_by == sue
    assert not case.settings.filter(cleared_at__isnull=True).exists()


def test_clerk_approves_a_manual_response_through_the_confirmation_step(page_for, live_server, scene, alice):
    """別紙3 ③ with issue 10 point 7: 送信許可 first shows what will be sent and whether it will show in her history."""
    page = page_for(alice)
    page.goto(live_server.url + reverse("console:manual_response", args=[scene.manual_record.pk]))
    page.click("button:has-text('送信許可（情報提供する）')")
    page.wait_for_selector("h1:has-text('確認: 送信許可')")
    assert "不開示コードは付けません" in page.inner_text("main")
    check_page(page, "flow-manual-confirm")
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == "manual"
    page.click("#confirm-execute")
    page.wait_for_selector("text=情報提供を送信しました（不開示コードなし）。")
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == "provided"


def test_sign_in_page_is_japanese(browser, live_server, db):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + reverse("console:login"))
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("text=ユーザー名またはパスワードが正しくありません。")
    check_page(page, "login-failed")
    context.close()


def test_supervisor_signs_in_with_the_totp_step_and_a_locked_out_clerk_sees_a_japanese_page(browser, live_server,
                                                                                             sam, alice):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    code = totp_code(sam)
    page.goto(live_server.url + reverse("console:dashboard"))
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/otp/**")
    check_page(page, "otp-step")
    page.fill("#id_otp_token", "000000" if code != "000000" else "111111")
    page.click("#id_otp_submit")
    page.wait_for_selector("text=確認コードが正しくありません。")
    check_page(page, "otp-wrong")
    context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    for _ in range(5):
        page.goto(live_server.url + reverse("console:login"))
        page.fill("#id_username", "alice")
        page.fill("#id_password", "wrong")
        page.click("button[type=submit]")
    page.wait_for_selector("text=ログインを一時停止しています")
    check_page(page, "locked-out")
    context.close()


def test_a_verified_supervisor_opens_the_device_page_and_sees_the_qr_code(page_for, live_server, sam):
    page = page_for(sam)
    page.click("header >> text=二要素認証")
    page.wait_for_url("**/account/second-factor/")
    TOTPDevice.objects.filter(user=sam).update(last_t=-1)  # the sign-in just used this 30 s step's code
    page.fill("#id_current_token", totp_code(sam))
    page.click("text=新しい認証アプリを登録する")
    page.wait_for_selector(".qr svg")
    check_page(page, "second-factor-device")
