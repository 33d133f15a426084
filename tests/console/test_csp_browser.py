"""The Content-Security-Policy in Chromium: every console page (as each role), the portal and the operator's admin
load without a single CSP violation — no inline script or style is left (issue 9 point 8)."""

import os

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal_sim.services import issue_card
from signin.policy import needs_second_factor
from tests.conftest import totp_code
from tests.console.permission_matrix import PAGES
from tests.console.test_browser import items, procedures  # noqa: F401 (live-server catalogue fixtures)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
PASSWORD = "pw-for-tests-1"

# Violations reported by the page itself (securitypolicyviolation) — the init script is injected by the browser,
# outside the page's policy.
COLLECT = ("window.__csp = []; document.addEventListener('securitypolicyviolation', e => "
           "window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));")


@pytest.fixture
def watched(browser, live_server):
    """A new page whose CSP violations (events and console errors) are collected."""
    contexts = []

    def new_page():
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
        contexts.append(context)
        context.add_init_script(COLLECT)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
                and page.console_errors.append(m.text))
        return page

    yield new_page
    for context in contexts:
        context.close()


def violations(page) -> list[str]:
    return page.evaluate("() => window.__csp") + page.console_errors


def sign_in(page, live_server, user, login="console:login", done="console:home"):
    code = totp_code(user) if needs_second_factor(user) else ""  # the device exists before the sign-in
    page.goto(live_server.url + reverse(login))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    if needs_second_factor(user):  # 責任者 / 監査者 / operator: the TOTP step (signin), itself under the policy
        page.wait_for_url("**/login/otp/**")
        page.wait_for_load_state("load")
        assert violations(page) == [], ("otp step", violations(page))
        page.fill("#id_otp_token", code)
        page.click("#id_otp_submit")
    page.wait_for_url(live_server.url + reverse(done) if done else "**/ops-admin/")


def test_no_csp_violation_on_any_console_page(watched, live_server, scene, alice, sam, audrey):
    seen = []
    for role, user in {"clerk": alice, "supervisor": sam, "auditor": audrey}.items():
        page = watched()
        sign_in(page, live_server, user)
        for name, entry in PAGES.items():
            if role not in entry.read or entry.download:  # a file (CSV), not a page
                continue
            url = reverse(name, kwargs=entry.kwargs(scene) if entry.kwargs else None) + entry.query
            response = page.goto(live_server.url + url)
            assert response.status == 200, (role, name)
            assert "script-src 'self';" in response.headers["content-security-policy"] + ";"
            page.wait_for_load_state("load")
            assert violations(page) == [], (role, name, violations(page))
            seen.append(name)
    assert set(seen) == {name for name, entry in PAGES.items() if entry.read and not entry.download}


def test_no_csp_violation_in_the_portal(watched, live_server, victim):
    issue_card(person=victim.person, pin="1234", card_number="CARD-CSP-0001")
    page = watched()
    page.goto(live_server.url + "/portal/login/")
    page.fill("#id_card_number", "CARD-CSP-0001")
    page.fill("#id_pin", "1234")
    page.click("[type=submit]")
    page.wait_for_url(live_server.url + "/portal/")
    for path in ("/portal/", "/portal/self-info/", "/portal/history/", "/portal/proxies/"):
        assert page.goto(live_server.url + path).status == 200, path
        assert violations(page) == [], (path, violations(page))


def test_no_csp_violation_in_the_operators_admin(watched, live_server, db, django_user_model):
    operator = django_user_model.objects.create_superuser(username="ops", password=PASSWORD)
    page = watched()
    sign_in(page, live_server, operator, login="admin:login", done=None)
    for path in ("/ops-admin/", "/ops-admin/exchanges/exchangerecord/", "/ops-admin/institutions/staff/",
                 f"/ops-admin/institutions/staff/{operator.pk}/change/", "/ops-admin/audit/auditentry/"):
        assert page.goto(live_server.url + path).status == 200, path
        page.wait_for_load_state("load")
        assert violations(page) == [], (path, violations(page))


def test_no_csp_violation_on_the_second_factor_device_page_with_its_qr_code(watched, live_server, sam):
    """signin's device page shows the new authenticator's QR code as inline SVG (presentation attributes only, no
    style attribute or element), so it needs no exception to the policy."""
    page = watched()
    sign_in(page, live_server, sam)
    response = page.goto(live_server.url + reverse("signin:device"))
    assert response.status == 200 and "style-src 'self';" in response.headers["content-security-policy"] + ";"
    TOTPDevice.objects.filter(user=sam).update(last_t=-1)  # the sign-in just used this 30 s step's code
    page.fill("#id_current_token", totp_code(sam))  # replacing the device asks the current one's code
    page.click("form:has(input[name=action][value=start]) button")  # 新しい認証アプリを登録する
    page.wait_for_selector(".qr svg")
    page.wait_for_load_state("load")
    assert violations(page) == [], violations(page)


def test_the_collector_sees_an_inline_script(watched, live_server, alice):
    """The check itself works: an inline script injected into a page is reported as a violation."""
    page = watched()
    sign_in(page, live_server, alice)
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; "
                  "document.body.appendChild(s); }")
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in violations(page)), violations(page)
