"""アカウント → APIトークン in headless Chromium (issue 18 ③): a 責任者 signs in with his TOTP code, types a code again
on the page, sees his new token once, and that token decides over the API. Screenshot: /tmp/console-api-tokens.png."""

import os

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from signin.tokens import is_own_token
from tests import factories as f
from tests.conftest import totp_code
from tests.console.test_browser import PASSWORD, english_words, page_for  # noqa: F401 (fixture)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_a_supervisor_makes_his_own_api_token_after_his_totp_code(page_for, live_server):  # noqa: F811
    insurer = f.InsurerFactory(name="Ａ健康保険組合")
    sam = f.StaffFactory(username="sam", display_name="サム 責任者", department=f.DepartmentFactory(institution=insurer),
                         role="supervisor")
    sam.set_password(PASSWORD)
    sam.save()
    page = page_for(sam)
    page.click("text=APIトークン")
    page.wait_for_url(live_server.url + reverse("console:api_tokens"))
    TOTPDevice.objects.filter(user=sam).update(last_t=-1)  # the sign-in used this window's code; the app shows it again
    page.fill("#id_code", totp_code(sam))
    page.click("text=トークンを発行する")
    token = page.inner_text("#new-token").strip()
    page.screenshot(path="/tmp/console-api-tokens.png", full_page=True)
    assert token and "二度と表示されません" in page.inner_text("main")
    assert english_words(page) == []
    assert is_own_token(AuthToken.objects.select_related("provenance").get(user=sam))
    page.reload()
    assert token not in page.content()  # shown once
