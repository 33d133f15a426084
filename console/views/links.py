"""要注意照会対象者 of a case: add one (by 個人識別子), ask to remove one, and the supervisor's decision (four eyes).

Every page that shows a linked person records the view (flags.links.record_links_viewed).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console.access import CHANGERS, OVERSEERS, SUPERVISORS, case_for, console_view, link_for, link_removal_for
from console.forms import ClearingDecisionForm, LinkPersonForm, LinkRemovalForm
from console.views.common import add_service_errors
from flags.links import decide_link_removal, link_person, record_links_viewed, request_link_removal
from flags.models import ClearingRequestState
from members.models import Person


@console_view(read=CHANGERS, write=CHANGERS)
def link_new(request: HttpRequest, pk: int) -> HttpResponse:
    """要注意照会対象者の追加: from now on every inquiry about the person carries 不開示コード."""
    case = case_for(request.user, pk)
    form = LinkPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = Person.objects.filter(sim_id=form.cleaned_data["sim_id"]).first()
        if person is None:
            form.add_error("sim_id", "入力された個人識別子に該当する個人が見つかりません。")
        else:
            try:
                link_person(actor=request.user, case=case, person=person, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_service_errors(form, exc, {"person": "sim_id"})
            else:
                messages.success(
                    request, "要注意照会対象者を登録しました。この方に係る情報照会には不開示コードが自動で付きます。"
                )
                return redirect("console:case_detail", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/link_new.html", {"case": case, "form": form}, status=status)


@console_view(read=CHANGERS, write=CHANGERS)
def link_request_removal(request: HttpRequest, pk: int) -> HttpResponse:
    """削除依頼: the link stays in force until a supervisor other than the requester approves."""
    link = link_for(request.user, pk)
    form = LinkRemovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_link_removal(actor=request.user, link=link, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "削除依頼を登録しました。責任者（依頼者以外）の承認後に削除されます。")
            return redirect("console:case_detail", pk=link.case_id)
    if request.method == "GET":
        record_links_viewed(actor=request.user, case=link.case, links=[link], channel="要注意照会対象者の削除依頼")
    status = 400 if request.method == "POST" else 200
    return render(request, "console/link_removal_request.html", {"link": link, "form": form}, status=status)


@console_view(read=OVERSEERS, write=SUPERVISORS)
def link_removal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The supervisor's decision on a removal request; the requester cannot approve their own."""
    removal = link_removal_for(request.user, pk)
    form = ClearingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            decide_link_removal(actor=request.user, removal_request=removal, approve=approve,
                                note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = "承認し、要注意照会対象者から削除しました" if approve else "却下しました"
            messages.success(request, f"削除依頼を{done}。")
            return redirect("console:case_detail", pk=removal.link.case_id)
    if request.method == "GET":
        record_links_viewed(actor=request.user, case=removal.link.case, links=[removal.link],
                            channel="要注意照会対象者の削除依頼（承認）")
    status = 400 if request.method == "POST" else 200
    return render(request, "console/link_removal_detail.html", {
        "removal": removal, "link": removal.link, "form": form,
        "own_request": removal.requested_by_id == request.user.pk,
        "can_decide": request.user.is_supervisor and removal.state == ClearingRequestState.PENDING,
    }, status=status)
