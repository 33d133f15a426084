"""アカウント → APIトークン: a staff member makes his own API token after typing his TOTP code again (担当者: his
password), sees it once, and lists or revokes his own tokens (issue 18 ③: only such a token decides over the API)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from knox.models import AuthToken

from console.access import ALL_ROLES, console_view
from signin.policy import needs_second_factor
from signin.services import has_device
from signin.tokens import create_own_token, revoke_own_token


@console_view(read=ALL_ROLES, write=ALL_ROLES, own_account=True)
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    op = request.POST.get("op") if request.method == "POST" else None
    token, errors, status = "", [], 200
    try:
        if op == "create":
            token = create_own_token(staff=user, code=request.POST.get("code", ""),
                                     password=request.POST.get("password", ""))
        elif op == "revoke":
            revoke_own_token(staff=user, token_key=request.POST.get("token_key", "")[:64])
            messages.success(request, "APIトークンを失効させました。")
            return redirect("console:api_tokens")
        elif op is not None:
            errors, status = ["操作を選び直してください。"], 400
    except ValidationError as exc:
        errors, status = exc.messages, 400
    rows = AuthToken.objects.filter(user=user).select_related("provenance").order_by("-created")
    return render(request, "console/api_tokens.html", {
        "new_token": token,  # shown in this answer only; never stored in plain text
        "errors": errors,
        "tokens": rows,
        "needs_code": needs_second_factor(user),
        "has_device": has_device(user),
    }, status=status)
