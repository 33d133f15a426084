"""要注意照会対象者 of a case: add one (by 個人識別子), ask to remove one, and the supervisor's decision (four eyes).

Every page that shows a linked person records the view (flags.links.record_links_viewed).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console.access import CHANGERS, OVERSEERS, SUPERVISORS, case_for, console_view, link_for, link_removal_for
from console.forms import LinkPersonForm, LinkRemovalForm
from console.views.common import add_service_errors
from console.views.removals import removal_decision_page, removal_page
from flags.links import decide_link_removal, link_person, record_links_viewed, request_link_removal
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

    def act(data: dict) -> str:
        request_link_removal(actor=request.user, link=link, reason=data["reason"])
        return "削除依頼を登録しました。責任者（依頼者以外）の承認後に削除されます。"

    return removal_page(
        request, form=LinkRemovalForm(request.POST or None), act=act, case_id=link.case_id,
        record_view=lambda: record_links_viewed(actor=request.user, case=link.case, links=[link],
                                                channel="要注意照会対象者の削除依頼"),
        template="console/link_removal_request.html", context=lambda: {"link": link},
    )


@console_view(read=OVERSEERS, write=SUPERVISORS)
def link_removal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The supervisor's decision on a removal request; the requester cannot approve their own."""
    removal = link_removal_for(request.user, pk)
    own_request = removal.requested_by_id == request.user.pk
    return removal_decision_page(
        request, removal=removal, approved="承認し、要注意照会対象者から削除しました", case_id=removal.link.case_id,
        decide=lambda approve, note: decide_link_removal(actor=request.user, removal_request=removal, approve=approve,
                                                         note=note),
        record_view=lambda: record_links_viewed(actor=request.user, case=removal.link.case, links=[removal.link],
                                                channel="要注意照会対象者の削除依頼（承認）"),
        template="console/link_removal_detail.html",
        context=lambda: {"link": removal.link, "own_request": own_request, "blocked": own_request},
    )
