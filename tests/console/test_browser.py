"""The console in headless Chromium: the 別紙3 staff steps, and every page at 1280×800 in Japanese without
horizontal scrolling. Screenshots go to /tmp/console-*.png."""

import os
import re

import pytest
from django.urls import reverse

from exchanges.models import ExchangeRecord
from exchanges.selectors import portal_history
from flags.models import ProtectionCase, Setting
from flags.policy import SettingKind
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from tests.console.permission_matrix import PAGES

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "pw-for-tests-1"
# DV: the seed's own word (別紙2). UTF/BOM/Shift/JIS/cp (cp932)/Excel: the encodings of the settings CSV, by name.
ALLOWED_WORDS = {"Nakama", "CSV", "API", "ID", "SIM", "NWS", "DV", "UTF", "BOM", "Shift", "JIS", "cp", "Excel"}
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
        page.goto(live_server.url + reverse("console:login"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
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
    page.fill("#id_abuser_sim_id", abuser.sim_id)
    page.fill("#id_reason", "本人の申出（別紙2 ケース①・②）")
    check_page(page, "flow-case-new")
    page.click("button:has-text('登録して設定する')")
    page.wait_for_selector("text=設定対象者を登録しました。")
    check_page(page, "flow-case-detail")
    case = ProtectionCase.objects.get(member=victim)
    assert case.abuser == abuser
    kinds = set(Setting.objects.active().filter(member=victim, item__isnull=True).values_list("kind", flat=True))
    assert kinds == {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}


def test_clerk_sends_an_inquiry_about_the_abuser_with_nondisclosure_code(page_for, scene, alice, abuser, city_ko,
                                                                          procedures, items):
    """別紙3 ④: the insurer asks 甲市 about the abuser; 不開示コード each time, so his やりとり履歴 stays silent."""
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
    page.wait_for_selector(".alert.danger")
    assert "加害者" in page.inner_text(".alert.danger")
    assert page.is_checked("#id_nondisclosure_code")
    check_page(page, "flow-inquiry-confirm-abuser")
    page.click("button:has-text('送信する')")
    page.wait_for_selector("text=情報照会を送信しました（不開示コード: 手動設定）。")
    check_page(page, "flow-inquiry-sent")
    [new] = ExchangeRecord.objects.exclude(pk__in=before)
    assert new.subject == abuser and new.inquiry_code and new.inquiry_code_source == "manual"
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
