from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import selectors
from console.access import ALL_ROLES, console_view
from console.forms import PreferencesForm
from console.services import set_date_style
from console.views.common import add_service_errors
from exchanges.selectors import pending_appends_for
from exchanges.sweep import rejections_summary
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase
from institutions.models import Role


@console_view(read=ALL_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "open_cases": ProtectionCase.objects.visible_to(user).filter(closed_at__isnull=True).count(),
        "manual_count": len(selectors.manual_queue(user)),
        "pending_appends": pending_appends_for(user, filed_by_user=user.role == Role.CLERK),
        # Issue 17 point 4: 差戻し is work (a 担当者 sees her own, others the insurer's).
        "rejected_appends": rejections_summary(user, filed_by=user if user.role == Role.CLERK else None),
        "pending_clearing": ClearingRequest.objects.visible_to(user).filter(state=ClearingRequestState.PENDING).count(),
        "demo_tour": settings.NAKAMA_DEMO,  # the guided tour of the seeded world (scripts/demo only)
    }
    return render(request, "console/home.html", context)


@console_view(read=ALL_ROLES, write=ALL_ROLES, own_account=True)
def preferences(request: HttpRequest) -> HttpResponse:
    """表示設定: the caller's own choice of 和暦 or 西暦 (the portal always shows 和暦)."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                set_date_style(actor=request.user, date_style=form.cleaned_data["date_style"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "表示設定を保存しました。")
                return redirect("console:preferences")
        return render(request, "console/preferences.html", {"form": form}, status=400)
    form = PreferencesForm(initial={"date_style": request.user.date_style})
    return render(request, "console/preferences.html", {"form": form})
