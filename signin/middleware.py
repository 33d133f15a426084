"""Sign-in rules on every request (issue 9 ⑥), after Django's and django-otp's authentication middleware:

1. POSTs to a sign-in page are throttled per client address (429, Japanese page).
2. A staff session ends after SESSION_IDLE_SECONDS without a request and SESSION_ABSOLUTE_SECONDS after sign-in.
3. 責任者, 監査者 and the operator reach no page until the TOTP step verified the session (django-otp).

/api/ is left alone: the API authenticates by token (knox, with its own expiry), never by this session.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from signin.policy import needs_second_factor
from signin.signals import AUTH_AT, SEEN_AT
from signin.throttles import AddressThrottle

SEEN_RESOLUTION = 60  # write the session at most once a minute for the idle clock

# Sign-in pages whose POSTs are throttled, and their DRF rate scope (DEFAULT_THROTTLE_RATES).
THROTTLED_VIEWS = {
    "console:login": "signin",
    "admin:login": "signin",
    "signin:otp": "signin",
    "portal_sim:login": "portal_signin",
}
# What an unverified 責任者 / 監査者 / operator may still open: the TOTP step and sign-out. The citizens' portal
# has its own sign-in (not Django auth); its staff preview is a staff page and stays behind the second factor.
UNVERIFIED_ALLOWED = {"signin:otp", "console:logout", "admin:logout"}


def _view_name(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class SignInGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            # Token-authenticated, with DRF's own throttles; no sign-in page lives under /api/ (tests/test_signin.py),
            # so resolving the path here would find nothing to throttle (issue 12: a second URL resolution a request).
            return self.get_response(request)
        view_name = _view_name(request)
        if request.method == "POST" and view_name in THROTTLED_VIEWS:
            throttle = AddressThrottle(THROTTLED_VIEWS[view_name])
            if not throttle.allow_request(request, None):
                return throttled_page(request, throttle.wait())
        if not request.user.is_authenticated:
            return self.get_response(request)
        expired = self._expired(request)
        if expired:
            logout(request)
            messages.info(request, expired)
            return redirect_to_login(request.get_full_path())
        user = request.user
        if needs_second_factor(user) and not user.is_verified() and view_name not in UNVERIFIED_ALLOWED:
            if view_name and view_name.startswith("portal_sim:") and view_name != "portal_sim:staff_preview":
                return self.get_response(request)
            return redirect(f"{reverse('signin:otp')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> str:
        """Why the session ended ('' while it is valid); refreshes the idle clock otherwise."""
        now = int(time.time())
        session = request.session
        auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
        if not isinstance(auth_at, int) or not isinstance(seen_at, int):
            return "ログインし直してください。"  # a session from before these clocks: no age known
        if now - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
            hours = settings.SESSION_ABSOLUTE_SECONDS / 3600
            return f"ログインから{hours:g}時間が経過したため、ログアウトしました。もう一度ログインしてください。"
        if now - seen_at > settings.SESSION_IDLE_SECONDS:
            minutes = settings.SESSION_IDLE_SECONDS / 60
            return f"{minutes:g}分間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""


def throttled_page(request: HttpRequest, wait: float | None) -> HttpResponse:
    seconds = max(1, int(wait or 60))
    base = "portal_sim/base.html" if request.path_info.startswith("/portal/") else "base.html"
    response = render(request, "signin/throttled.html", {"seconds": seconds, "base": base}, status=429)
    response["Retry-After"] = str(seconds)
    return response
