"""責任者: the dashboard, approving or rejecting clearing requests (four eyes), staff accounts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import selectors
from console.access import OVERSEERS, SUPERVISORS, clearing_request_for, console_view
from console.forms import ClearingDecisionForm, StaffCreateForm
from console.services import create_staff
from console.views.common import add_service_errors
from flags.models import ClearingRequest, ClearingRequestState
from flags.services import clearing_refusal, decide_clearing


@console_view(read=OVERSEERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "console/dashboard.html", {"d": selectors.dashboard(request.user)})


@console_view(read=OVERSEERS)
def clearing_list(request: HttpRequest) -> HttpResponse:
    rows = (
        ClearingRequest.objects.visible_to(request.user)
        .select_related("setting", "setting__member", "setting__item")
        .order_by("state", "-requested_at")
    )
    pending = [r for r in rows if r.state == ClearingRequestState.PENDING]
    for r in pending:  # the 「確認・承認」 button only for someone who may decide it (not its own requester)
        r.may_decide = clearing_refusal(actor=request.user, clearing_request=r) is None
    decided = [r for r in rows if r.state != ClearingRequestState.PENDING][:50]
    return render(request, "console/clearing_list.html", {"pending": pending, "decided": decided})


@console_view(read=OVERSEERS, write=SUPERVISORS)
def clearing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    clearing_request = clearing_request_for(request.user, pk)
    form = ClearingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decide_clearing(
                actor=request.user, clearing_request=clearing_request,
                approve=form.cleaned_data["decision"] == "approve", note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = "承認し、設定を解除しました" if form.cleaned_data["decision"] == "approve" else "却下しました"
            messages.success(request, f"解除依頼を{done}。")
            return redirect("console:clearing_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "console/clearing_detail.html", {
        "req": clearing_request, "setting": clearing_request.setting, "form": form,
        "own_request": clearing_request.requested_by_id == request.user.pk,
        "can_decide": clearing_refusal(actor=request.user, clearing_request=clearing_request) is None,
    }, status=status)


@console_view(read=OVERSEERS)
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/staff_list.html", {"staff": selectors.staff_of(request.user)})


@console_view(read=SUPERVISORS, write=SUPERVISORS)
def staff_new(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff = create_staff(
                actor=request.user, username=data["username"], display_name=data["display_name"],
                department=data["department"], role=data["role"], password=data["password1"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"職員「{staff}」を登録しました。")
            return redirect("console:staff_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "console/staff_form.html", {"form": form}, status=status)
