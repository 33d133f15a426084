"""Sign-in fit for this data (issue 9 ⑥): lockout, the TOTP step for 責任者 / 監査者 / the operator, session
clocks, API token expiry and throttles. Every sign-in here goes through the login pages (never force_login, which
tests/conftest.py marks verified), so nothing stands in for the rule under test."""

import datetime
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.models import AuditEntry
from signin import middleware, services
from signin.demo import demo_code
from signin.tokens import create_operator_token, create_own_token
from tests import factories as f
from tests.console.permission_matrix import PAGES

PASSWORD = "pw-for-tests-1"
OFFICE = "203.0.113.10"  # one NAT address shared by every clerk of the office


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ops(db):
    return f.StaffFactory(username="ops", display_name="運用者", department=None, institution=None, role="",
                          is_staff=True, is_superuser=True)


def office_client() -> Client:
    return Client(REMOTE_ADDR=OFFICE)


def password_step(client: Client, user, password: str = PASSWORD, url: str = "/login/", next_url: str = ""):
    return client.post(url, {"username": user.username, "password": password, "next": next_url})


def code_of(user) -> str:
    device = services.confirmed_device(user) or services.enrol_totp(staff=user, reason="テスト")
    return services.current_code(device)[0]


def otp_step(client: Client, code: str, next_url: str = ""):
    return client.post("/login/otp/", {"otp_token": code, "next": next_url})


def signed_in_fully(user) -> Client:
    client = office_client()
    code = code_of(user)
    assert password_step(client, user).status_code == 302
    assert otp_step(client, code).status_code == 302
    return client


# --- Lockout (django-axes) ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_and_the_right_one_is_refused_until_the_cool_off(alice, settings):
    client = office_client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = password_step(client, alice, "wrong-password")
        assert response.status_code == 200 and "ユーザー名またはパスワードが正しくありません" in response.content.decode()
    locked = password_step(client, alice, "wrong-password")
    assert locked.status_code == 429
    right = password_step(client, alice)
    assert right.status_code == 429
    html = right.content.decode()
    assert "パスワードを5回続けて誤ったため" in html and "15分ほど待って" in html and '<html lang="ja">' in html
    assert "_auth_user_id" not in client.session
    locked_entries = AuditEntry.objects.filter(action="auth.locked_out", institution=alice.institution)
    assert locked_entries.count() == 2 and "203.0.113.10" in locked_entries.first().message  # for the auditors
    # After the cool-off the right password signs in again (and clears the count).
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(1))
    signed = password_step(client, alice)
    assert signed.status_code == 302 and signed.url == "/"
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_one_clerks_lockout_does_not_lock_the_others_behind_the_same_office_address(alice, dept_a):
    other = f.StaffFactory(username="alice2", department=dept_a)
    client = office_client()
    for _ in range(6):
        password_step(client, alice, "wrong-password")
    assert password_step(client, alice).status_code == 429
    assert password_step(office_client(), other).status_code == 302


def test_the_lockout_holds_from_every_address(alice):
    for n in range(5):
        password_step(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), alice, "wrong-password")
    assert password_step(Client(REMOTE_ADDR="192.0.2.200"), alice).status_code == 429


def test_admin_sign_in_locks_out_too(ops):
    client = office_client()
    for _ in range(5):
        password_step(client, ops, "wrong-password", url="/ops-admin/login/")
    response = password_step(client, ops, "pw-for-tests-1", url="/ops-admin/login/")
    assert response.status_code == 429 and "ログインを一時停止しています" in response.content.decode()


# --- Second factor (django-otp TOTP) -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sam", "audrey"])
def test_supervisor_or_auditor_with_only_the_password_reaches_no_page(request, who):
    user = request.getfixturevalue(who)
    services.enrol_totp(staff=user)
    client = office_client()
    response = password_step(client, user, next_url="/dashboard/")
    assert response.status_code == 302 and response.url == "/dashboard/"
    reached = []
    for name, entry in PAGES.items():
        if user.role not in entry.read or entry.kwargs:
            continue
        response = client.get(reverse(name))
        if response.status_code != 302 or not response.url.startswith("/login/otp/?next="):
            reached.append((name, response.status_code))
    for url in ["/account/second-factor/", "/ops-admin/", "/portal/staff-preview/case/1/"]:
        response = client.get(url)
        if response.status_code != 302 or not response.url.startswith("/login/otp/"):
            reached.append((url, response.status_code))
    assert not reached
    assert client.post("/members/", {}).status_code == 302  # POSTs too


def test_supervisor_types_the_totp_code_and_reaches_the_dashboard(sam):
    client = office_client()
    code = code_of(sam)
    response = password_step(client, sam, next_url="/dashboard/")
    step = client.get(response.url)
    assert step.status_code == 302 and step.url == "/login/otp/?next=%2Fdashboard%2F"
    page = client.get(step.url).content.decode()
    assert "二要素認証" in page and "確認コード（6桁）" in page
    verified = otp_step(client, code, next_url="/dashboard/")
    assert verified.status_code == 302 and verified.url == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.otp_verified", actor=sam).exists()


def test_a_wrong_code_is_refused_in_japanese_and_a_used_code_cannot_be_replayed(sam):
    client = office_client()
    code = code_of(sam)
    password_step(client, sam)
    wrong = otp_step(client, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and "確認コードが正しくありません" in wrong.content.decode()
    assert client.get("/dashboard/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.otp_failed", actor=sam).exists()
    # django-otp's back-off after a wrong code, then the right code passes.
    TOTPDevice.objects.filter(user=sam).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    assert otp_step(client, code).status_code == 302
    other = office_client()
    password_step(other, sam)
    replay = otp_step(other, code)
    assert replay.status_code == 400 and other.get("/dashboard/").status_code == 302


def test_repeated_wrong_codes_make_the_device_wait(sam):
    client = office_client()
    code = code_of(sam)
    password_step(client, sam)
    otp_step(client, "000000" if code != "000000" else "111111")
    throttled = otp_step(client, code)  # too soon after a wrong code, even the right one
    assert throttled.status_code == 400 and "しばらく受け付けません" in throttled.content.decode()


def test_supervisor_without_a_device_is_told_to_ask_the_operator_and_reaches_nothing(sam):
    client = office_client()
    password_step(client, sam)
    page = client.get("/login/otp/").content.decode()
    assert "二要素認証の端末（認証アプリ）が登録されていない" in page
    assert otp_step(client, "123456").status_code == 200
    assert client.get("/dashboard/").status_code == 302


def test_a_clerk_needs_no_second_factor(alice):
    client = office_client()
    assert password_step(client, alice).url == "/"
    assert client.get("/").status_code == 200


def test_the_operator_needs_the_totp_step_before_any_admin_page(ops):
    client = office_client()
    code = code_of(ops)
    response = password_step(client, ops, url="/ops-admin/login/", next_url="/ops-admin/")
    assert response.status_code == 302 and response.url == "/ops-admin/"
    for url in ["/ops-admin/", "/ops-admin/institutions/staff/", "/ops-admin/login/"]:
        refused = client.get(url)
        assert refused.status_code == 302 and refused.url.startswith("/login/otp/"), url
    verified = otp_step(client, code, next_url="/ops-admin/")
    assert verified.url == "/ops-admin/"
    assert client.get("/ops-admin/").status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_operator(ops):
    """Independent of the middleware: the admin site's has_permission() asks django-otp too."""
    request = RequestFactory().get("/ops-admin/")
    request.user = ops
    ops.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    ops.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_no_api_token_for_a_supervisor_without_a_second_factor(sam, alice):
    with pytest.raises(ValidationError, match="二要素認証"):
        create_own_token(staff=sam, code="123456")
    with pytest.raises(CommandError):
        call_command("create_api_token", "sam", stdout=io.StringIO(), stderr=io.StringIO())
    assert not AuthToken.objects.filter(user=sam).exists()
    device = services.enrol_totp(staff=sam)
    with pytest.raises(PermissionDenied):  # not even with a device: the operator makes no 責任者's token
        create_operator_token(staff=sam, operator="運用者", reason="")
    assert create_own_token(staff=sam, code=services.current_code(device)[0])
    assert create_operator_token(staff=alice, operator="運用者", reason="")  # a clerk's, for an insurer system


def test_a_verified_supervisor_replaces_their_own_device_with_a_qr_code(sam):
    client = signed_in_fully(sam)
    old = services.confirmed_device(sam)
    refused = client.post("/account/second-factor/", {"action": "start", "current_token": "12345x"})
    assert refused.status_code == 400 and services.pending_device(sam) is None  # an open session is not enough
    TOTPDevice.objects.filter(pk=old.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0,
                                                 last_t=-1)  # the sign-in used this step's code; a fresh one
    start = client.post("/account/second-factor/", {"action": "start", "current_token": code_of(sam)})
    html = start.content.decode()
    assert start.status_code == 200 and "<svg" in html and "秘密鍵" in html
    pending = services.pending_device(sam)
    assert services.confirmed_device(sam).pk == old.pk  # the old one works until the new one is confirmed
    code = services.current_code(pending)[0]
    done = client.post("/account/second-factor/", {"action": "confirm", "otp_token": code})
    assert done.status_code == 302
    assert list(TOTPDevice.objects.filter(user=sam).values_list("pk", flat=True)) == [pending.pk]
    assert client.get("/dashboard/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.otp_enrolled", target_id=str(sam.pk)).count() == 2


def test_operator_enrols_a_device_with_a_command_that_prints_the_qr_and_secret(sam):
    out = io.StringIO()
    call_command("enrol_totp", "sam", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert text.startswith("otpauth://totp/") and "秘密鍵: " in text
    assert services.has_device(sam)


# --- The demo ---------------------------------------------------------------------------------------------------


def test_demo_accounts_that_need_a_second_factor_get_a_device_and_demo_otp_prints_its_code(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "manage.py demo_otp a_super" in out.getvalue()
    code_out = io.StringIO()
    call_command("demo_otp", "a_super", stdout=code_out, stderr=io.StringIO())
    code = code_out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    client = Client(REMOTE_ADDR=OFFICE)
    client.post("/login/", {"username": "a_super", "password": "nakama-demo-2026"})
    assert otp_step(client, code).status_code == 302
    assert client.get("/dashboard/").status_code == 200
    with pytest.raises(CommandError):
        call_command("demo_otp", "a_clerk", stdout=io.StringIO(), stderr=io.StringIO())


def test_demo_otp_never_prints_a_device_a_person_enrolled(sam):
    services.enrol_totp(staff=sam)
    assert demo_code("sam") is None


# --- Session clocks -------------------------------------------------------------------------------------------


def _age(client: Client, *, auth_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[middleware.AUTH_AT] = now - auth_ago
    session[middleware.SEEN_AT] = now - seen_ago
    session.save()


def test_thirty_idle_minutes_end_the_session(alice, settings):
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    client = office_client()
    password_step(client, alice)
    _age(client, auth_ago=40 * 60, seen_ago=29 * 60)
    assert client.get("/").status_code == 200
    assert int(time.time()) - client.session[middleware.SEEN_AT] < 5  # the idle clock restarted
    _age(client, auth_ago=40 * 60, seen_ago=31 * 60)
    response = client.get("/cases/")
    assert response.status_code == 302 and response.url == "/login/?next=/cases/"
    assert "_auth_user_id" not in client.session
    assert "30分間操作がなかったため、ログアウトしました" in client.get(response.url).content.decode()


def test_eight_hours_after_sign_in_end_the_session_even_when_active(sam, settings):
    assert settings.SESSION_ABSOLUTE_SECONDS == 8 * 3600
    client = signed_in_fully(sam)
    _age(client, auth_ago=8 * 3600 - 60, seen_ago=10)
    assert client.get("/dashboard/").status_code == 200
    _age(client, auth_ago=8 * 3600 + 1, seen_ago=10)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert "ログインから8時間が経過したため" in client.get(response.url).content.decode()


def test_the_clocks_follow_the_settings(alice, settings):
    settings.SESSION_IDLE_SECONDS = 120
    client = office_client()
    password_step(client, alice)
    _age(client, auth_ago=200, seen_ago=121)
    assert client.get("/").status_code == 302


def test_the_admin_session_has_the_same_clocks(ops):
    client = signed_in_fully(ops)
    _age(client, auth_ago=60, seen_ago=31 * 60)
    response = client.get("/ops-admin/")
    assert response.status_code == 302 and response.url.startswith("/login/")


# --- API token expiry -------------------------------------------------------------------------------------------


def test_api_tokens_expire_after_the_ttl_then_answer_401_json(alice, settings):
    assert settings.REST_KNOX["TOKEN_TTL"] == datetime.timedelta(days=30)
    token = create_operator_token(staff=alice, operator="運用者", reason="")
    stored = AuthToken.objects.get(user=alice)
    assert abs(stored.expiry - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(minutes=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").status_code == 200
    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    expired = client.get("/api/v1/me/")
    assert expired.status_code == 401
    assert expired.json() == {"code": "authentication_failed", "message": "認証トークンが正しくないか、失効しています。",
                              "fields": {}}


# --- Throttles --------------------------------------------------------------------------------------------------


def test_sign_in_posts_are_throttled_per_address_with_a_japanese_page(db):
    client = office_client()
    for n in range(60):
        assert client.post("/login/", {"username": f"nobody{n}", "password": "x"}).status_code == 200
    refused = client.post("/login/", {"username": "nobody", "password": "x"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert '<html lang="ja">' in html and "ログインの試行が多すぎます" in html
    assert Client(REMOTE_ADDR="192.0.2.1").post("/login/", {"username": "a", "password": "x"}).status_code == 200
    assert client.get("/login/").status_code == 200  # only POSTs count


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(db):
    client = office_client()
    for n in range(61):
        response = client.post("/login/", {"username": f"x{n}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert response.status_code == 429


def test_no_throttled_sign_in_page_lives_under_the_api():
    """The sign-in middleware leaves /api/ to DRF's throttles without resolving the path: that holds only while no
    page it throttles is served under /api/."""
    paths = {name: reverse(name) for name in middleware.THROTTLED_VIEWS}
    assert paths and not [path for path in paths.values() if path.startswith("/api/")], paths


def test_token_endpoints_are_throttled_with_the_json_body(alice):
    token = create_operator_token(staff=alice, operator="運用者", reason="")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for _ in range(30):
        assert client.get("/api/v1/me/").status_code == 200
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429 and refused["Retry-After"]
    body = refused.json()
    assert body["code"] == "throttled" and body["message"] == "リクエストが多すぎます。時間をおいて再度お試しください。"


def test_the_figures_come_from_the_environment():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_IDLE_SECONDS, s.SESSION_ABSOLUTE_SECONDS, s.SESSION_COOKIE_AGE, s.REST_KNOX['TOKEN_TTL'], "
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['portal_signin'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nakama.settings", "SESSION_IDLE_MINUTES": "5",
           "SESSION_ABSOLUTE_HOURS": "2", "API_TOKEN_TTL_HOURS": "1", "SIGNIN_FAILURE_LIMIT": "3",
           "SIGNIN_COOLOFF_MINUTES": "60", "PORTAL_THROTTLE_RATE": "5/min"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.split() == ["300", "7200", "7200", "1:00:00", "3", "1:00:00", "5/min"]


def test_a_code_used_twice_says_it_was_already_used(sam):
    """Issue 19: a demo TOTP code used twice within 30 s said only 「確認コードが正しくありません」."""
    code = code_of(sam)
    first = office_client()
    password_step(first, sam)
    assert otp_step(first, code).status_code == 302
    second = office_client()
    password_step(second, sam)
    replay = otp_step(second, code)
    page = replay.content.decode()
    assert replay.status_code == 400 and "この確認コードはすでに使われています" in page
    assert "確認コードが正しくありません" not in page
    assert second.get("/dashboard/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.otp_failed", message="二要素認証の確認コードが使用済みです").exists()
