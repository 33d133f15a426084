"""同伴者 of a case (flags.family): add one (by 被保険者枝番), ask to remove one, and the supervisor's decision (four
eyes, as for clearing: removal takes their protection away). Views of these pages are recorded like the case's."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from console.access import CHANGERS, OVERSEERS, SUPERVISORS, case_for, console_view
from console.forms import CompanionForm, CompanionRemovalForm
from console.services import record_protected_view
from console.views.common import add_service_errors
from console.views.removals import removal_decision_page, removal_page
from flags.family import (
    add_companion,
    companion_kinds,
    companion_removal_refusal,
    companion_settings,
    decide_companion_removal,
    request_companion_removal,
)
from flags.models import CaseCompanion, ClearingRequestState, CompanionRemovalRequest
from flags.policy import SETTING_LABELS
from members.models import Member


def companion_for(user, pk) -> CaseCompanion:
    return get_object_or_404(
        CaseCompanion.objects.visible_to(user).select_related("case", "case__member", "member"), pk=pk
    )


def companion_removal_for(user, pk) -> CompanionRemovalRequest:
    return get_object_or_404(
        CompanionRemovalRequest.objects.visible_to(user).select_related(
            "companion", "companion__case", "companion__case__member", "companion__member"
        ),
        pk=pk,
    )


@console_view(read=CHANGERS, write=CHANGERS)
def companion_new(request: HttpRequest, pk: int) -> HttpResponse:
    """同伴者の追加: the case's protections are set on them at once (audited as set through the case)."""
    case = case_for(request.user, pk)
    form = CompanionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = Member.objects.visible_to(request.user).filter(branch_number=data["branch_number"]).first()
        if member is None:
            form.add_error("branch_number", "当保険者の被保険者に、この被保険者枝番は見つかりません。")
        else:
            try:
                add_companion(actor=request.user, case=case, member=member, relation=data["relation"],
                              reason=data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc, {"member": "branch_number"})
            else:
                messages.success(request, f"{member.name}さんを同伴者として登録し、設定対象者と同じ保護を設定しました。")
                return redirect("console:case_detail", pk=case.pk)
    kinds = "、".join(SETTING_LABELS[k] for k in companion_kinds(case)) or "なし"
    status = 400 if request.method == "POST" else 200
    return render(request, "console/companion_new.html", {"case": case, "form": form, "kinds": kinds}, status=status)


@console_view(read=CHANGERS, write=CHANGERS)
def companion_request_removal(request: HttpRequest, pk: int) -> HttpResponse:
    """削除依頼: the companion stays protected until a supervisor other than the requester approves."""
    companion = companion_for(request.user, pk)

    def act(data: dict) -> str:
        request_companion_removal(actor=request.user, companion=companion, reason=data["reason"],
                                  override_reason=data["override_reason"])
        return "同伴者の削除依頼を登録しました。責任者（依頼者以外）の承認後に削除され、保護が解除されます。"

    return removal_page(
        request, form=CompanionRemovalForm(request.POST or None), act=act, case_id=companion.case_id,
        record_view=lambda: record_protected_view(actor=request.user, member=companion.member, page="同伴者の削除依頼"),
        template="console/companion_removal_request.html",
        context=lambda: {"companion": companion, "settings": companion_settings(companion),
                         "is_supervisor": request.user.is_supervisor},
    )


@console_view(read=OVERSEERS, write=SUPERVISORS)
def companion_removal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The supervisor's decision on a removal; the requester (or anyone not independent of them) cannot approve."""
    removal = companion_removal_for(request.user, pk)

    def context() -> dict:
        refusal = companion_removal_refusal(actor=request.user, removal=removal)
        if not (request.user.is_supervisor and removal.state == ClearingRequestState.PENDING):
            refusal = None
        return {"companion": removal.companion, "settings": companion_settings(removal.companion),
                "refusal": refusal, "blocked": refusal}

    return removal_decision_page(
        request, removal=removal, approved="承認し、同伴者から削除しました（保護を解除しました）",
        case_id=removal.companion.case_id,
        decide=lambda approve, note: decide_companion_removal(actor=request.user, removal=removal, approve=approve,
                                                              note=note),
        record_view=lambda: record_protected_view(actor=request.user, member=removal.companion.member,
                                                  page="同伴者の削除依頼（承認）"),
        template="console/companion_removal_detail.html", context=context,
    )
