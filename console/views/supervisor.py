"""責任者: the dashboard, approving or rejecting clearing requests (four eyes), staff accounts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from console import confirm, selectors
from console.access import OVERSEERS, SUPERVISORS, clearing_request_for, console_view
from console.forms import ClearingDecisionForm, StaffCreateForm
from console.services import create_staff
from console.views.common import add_service_errors
from console.views.members import card_procedure_status
from flags.case_lifecycle import cases_due_for_review
from flags.models import CaseClosure, ClearingRequest, ClearingRequestState, ProtectionCase
from flags.services import decide_clearing


@console_view(read=OVERSEERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    cases = ProtectionCase.objects.visible_to(user).select_related("member")
    return render(request, "console/dashboard.html", {
        "d": selectors.dashboard(user),
        # Issue 10 point 6: cases whose review date has come; nothing expires by itself.
        "due_reviews": list(cases_due_for_review(cases)[:50]),
        "pending_closures": list(
            CaseClosure.objects.visible_to(user).filter(state=ClearingRequestState.PENDING)
            .select_related("case__member").order_by("requested_at")
        ),
        "today": timezone.localdate(),
    })


@console_view(read=OVERSEERS)
def clearing_list(request: HttpRequest) -> HttpResponse:
    rows = (
        ClearingRequest.objects.visible_to(request.user)
        .select_related("setting", "setting__member", "setting__item")
        .order_by("state", "-requested_at")
    )
    pending = [r for r in rows if r.state == ClearingRequestState.PENDING]
    decided = [r for r in rows if r.state != ClearingRequestState.PENDING][:50]
    return render(request, "console/clearing_list.html", {"pending": pending, "decided": decided})


@console_view(read=OVERSEERS, write=SUPERVISORS)
def clearing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    clearing_request = clearing_request_for(request.user, pk)
    form = ClearingDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        step = confirm.step(request)
        if approve and step == confirm.ASK:
            return confirm.render_confirmation(request, _clearing_confirmation(clearing_request))
        if not approve or step == confirm.EXECUTE:
            try:
                decide_clearing(
                    actor=request.user, clearing_request=clearing_request, approve=approve,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                done = "承認し、設定を解除しました" if approve else "却下しました"
                messages.success(request, f"解除依頼を{done}。")
                return redirect("console:clearing_list")
    if request.method == "POST" and form.errors:
        status = 400
    return render(request, "console/clearing_detail.html", {
        "req": clearing_request, "setting": clearing_request.setting, "form": form,
        "gate": card_procedure_status(clearing_request.setting),
        "own_request": clearing_request.requested_by_id == request.user.pk,
        "can_decide": request.user.is_supervisor and clearing_request.state == ClearingRequestState.PENDING,
    }, status=status)


def _clearing_confirmation(clearing_request) -> confirm.Confirmation:
    setting = clearing_request.setting
    member = setting.member
    details = [("解除理由", clearing_request.reason), ("依頼者", clearing_request.requested_by_name)]
    if clearing_request.override_reason:
        details.append(("手続完了前の解除の理由（責任者）", clearing_request.override_reason))
    return confirm.Confirmation(
        title="解除の承認",
        lead=f"{member.name}さん（枝番 {member.branch_number}）の{setting}を解除します。",
        details=details,
        effects=[confirm.CLEARING_EFFECTS[setting.kind],
                 "解除者としてあなたの名前が記録されます（設定状況CSVの解除者にも表示されます）。"],
        button="承認して解除する",
    )


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
