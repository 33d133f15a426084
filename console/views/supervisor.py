"""責任者: the dashboard, approving or rejecting clearing requests (four eyes), staff accounts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from console import confirm, selectors
from console.access import OVERSEERS, SUPERVISORS, clearing_request_for, console_view, role_grant_for, staff_for
from console.forms import ClearingDecisionForm, DeactivateForm, RoleChangeForm, StaffCreateForm
from console.views.common import add_service_errors
from console.views.members import card_procedure_status
from exchanges.selectors import pending_appends_for
from flags.case_lifecycle import cases_due_for_review
from flags.handover import handovers_received
from flags.models import (
    CaseClosure,
    ClearingRequest,
    ClearingRequestState,
    HandoverState,
    LinkRemovalRequest,
    ProtectionCase,
)
from flags.services import clearing_refusal, decide_clearing
from institutions.models import ELEVATED_ROLES, RoleGrantRequest, RoleGrantRequestState
from institutions.services import create_staff, deactivate_staff, decide_role_grant, request_role_grant


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
        # Issue 11: 追記依頼 NWS has not processed; each record is still shown in マイナポータル.
        "pending_appends": pending_appends_for(user),
        "pending_handovers": handovers_received(user).filter(state=HandoverState.PENDING).count(),
    })


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
    # 要注意照会対象者の削除依頼: no names here (the decision page shows them and records the view).
    link_removals = (
        LinkRemovalRequest.objects.visible_to(request.user)
        .filter(state=ClearingRequestState.PENDING)
        .select_related("link")
        .order_by("requested_at")
    )
    return render(request, "console/clearing_list.html",
                  {"pending": pending, "decided": decided, "link_removals": link_removals})


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
        "can_decide": clearing_refusal(actor=request.user, clearing_request=clearing_request) is None,
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
    """担当者 are created at once; 責任者 and 監査者 only as a request another 責任者 approves (four eyes)."""
    form = StaffCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = {"username": data["username"], "display_name": data["display_name"],
                   "department": data["department"], "password": data["password1"]}
        try:
            if data["role"] in ELEVATED_ROLES:
                grant = request_role_grant(actor=request.user, role=data["role"], reason=data["reason"], **account)
            else:
                staff = create_staff(actor=request.user, role=data["role"], **account)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if data["role"] in ELEVATED_ROLES:
                messages.success(request, f"「{grant.display_name}」（{grant.get_role_display()}）の登録を依頼しました。"
                                          "別の責任者が承認すると登録されます。")
                return redirect("console:role_grant_list")
            messages.success(request, f"職員「{staff}」を登録しました。")
            return redirect("console:staff_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "console/staff_form.html", {"form": form}, status=status)


@console_view(read=OVERSEERS, write=SUPERVISORS)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One account: when its role was granted and at whose request; ask for a role change, or deactivate it."""
    staff = staff_for(request.user, pk)
    op = request.POST.get("op") if request.method == "POST" else None
    role_form = RoleChangeForm(request.POST if op == "role" else None, initial={"role": staff.role})
    deactivate_form = DeactivateForm(request.POST if op == "deactivate" else None)
    if op in ("role", "deactivate"):
        form = deactivate_form if op == "deactivate" else role_form
        if form.is_valid():
            try:
                if op == "role":
                    request_role_grant(actor=request.user, staff=staff, role=form.cleaned_data["role"],
                                       reason=form.cleaned_data["reason"])
                else:
                    deactivate_staff(actor=request.user, staff=staff, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if op == "role":
                    messages.success(request, "役割の変更を依頼しました。別の責任者が承認すると変更されます。")
                    return redirect("console:role_grant_list")
                messages.success(request, f"職員「{staff}」を無効にしました。")
                return redirect("console:staff_list")
    pending = RoleGrantRequest.objects.filter(staff=staff, state=RoleGrantRequestState.PENDING).first()
    return render(request, "console/staff_detail.html", {
        "staff": staff, "role_form": role_form, "deactivate_form": deactivate_form, "pending": pending,
        "is_self": staff.pk == request.user.pk,
    }, status=400 if request.method == "POST" else 200)


@console_view(read=OVERSEERS)
def role_grant_list(request: HttpRequest) -> HttpResponse:
    rows = RoleGrantRequest.objects.visible_to(request.user).select_related("department")
    pending = [r for r in rows if r.state == RoleGrantRequestState.PENDING]
    decided = [r for r in rows if r.state != RoleGrantRequestState.PENDING][:50]
    return render(request, "console/role_grant_list.html", {"pending": pending, "decided": decided})


@console_view(read=OVERSEERS, write=SUPERVISORS)
def role_grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = role_grant_for(request.user, pk)
    form = ClearingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            decide_role_grant(actor=request.user, grant_request=grant, approve=approve, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "依頼を承認し、役割を付与しました。" if approve else "依頼を却下しました。")
            return redirect("console:role_grant_list")
    return render(request, "console/role_grant_detail.html", {
        "grant": grant, "form": form, "own_request": grant.requested_by_id == request.user.pk,
        "can_decide": request.user.is_supervisor and grant.state == RoleGrantRequestState.PENDING,
    }, status=400 if request.method == "POST" else 200)
