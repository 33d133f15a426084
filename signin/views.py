"""The TOTP step after the password (二要素認証), and a verified person's replacement of their own device."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from signin import services
from signin.policy import needs_second_factor

WRONG_CODE = "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"
REUSED = ("この確認コードはすでに使われています。確認コードは1回しか使えません。認証アプリに次のコードが表示されるまで"
          "（30秒ごとに変わります）待ってから、新しいコードを入力してください。")
THROTTLED = "確認コードの誤りが続いたため、しばらく受け付けません。少し待ってから、新しいコードを入力してください。"


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    return reverse("admin:index") if not getattr(request.user, "is_insurer_staff", False) else reverse("console:home")


@require_http_methods(["GET", "POST"])
def otp_step(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not needs_second_factor(user) or user.is_verified():
        return redirect(_next_url(request))
    has_device = services.has_device(user)
    error, status = "", 200
    if request.method == "POST" and has_device:
        outcome = services.verify_second_factor(request=request, code=request.POST.get("otp_token", ""))
        if outcome is services.Outcome.VERIFIED:
            return redirect(_next_url(request))
        error = {services.Outcome.THROTTLED: THROTTLED, services.Outcome.REUSED: REUSED}.get(outcome, WRONG_CODE)
        status = 400
    return render(
        request,
        "signin/otp.html",
        {"has_device": has_device, "error": error, "next": _next_url(request), "hide_nav": True},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def own_device(request: HttpRequest) -> HttpResponse:
    """Replace one's own authenticator: reached only by a verified session (signin.middleware), so a stolen
    password alone can never enrol the thief's phone."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not needs_second_factor(user):
        return render(request, "signin/device.html", {"not_needed": True}, status=403)
    error, status = "", 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "start":
        # A session left open is not enough to swap the device: the code of the current one is asked again.
        current = services.confirmed_device(user)
        if current is not None and current.verify_is_allowed()[0] and current.verify_token(
                "".join(request.POST.get("current_token", "").split())[:16]):
            services.start_own_enrolment(staff=user)
        else:
            error, status = "今の認証アプリの確認コードが正しくありません。", 400
    elif action == "confirm":
        if services.confirm_own_enrolment(request=request, code=request.POST.get("otp_token", "")):
            messages.success(request, "新しい認証アプリを登録しました。以後はこのアプリの確認コードを使います。")
            return redirect("signin:device")
        error, status = WRONG_CODE, 400
    pending = services.pending_device(user)
    return render(
        request,
        "signin/device.html",
        {
            "has_device": services.has_device(user),
            "pending": services.provisioning(pending) if pending else None,
            "error": error,
        },
        status=status,
    )


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer once a username reached AXES_FAILURE_LIMIT (AXES_LOCKOUT_CALLABLE): 429, Japanese."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "signin/locked_out.html", context, status=429)
