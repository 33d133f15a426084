"""The pages of a removal with four eyes (要注意照会対象者 and 同伴者 alike): ask to remove, then a 責任者 other than
the requester approves or rejects. The services decide and refuse; these pages only carry it out the same way:
a refusal is shown beside the fields (400), a GET records that the protected person's page was seen."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console.forms import ClearingDecisionForm
from console.views.common import add_service_errors
from flags.models import ClearingRequestState


def removal_page(request: HttpRequest, *, form: Form, act: Callable[[dict], str], case_id: int,
                 record_view: Callable[[], None], template: str, context: Callable[[], dict]) -> HttpResponse:
    """POST: `act(cleaned_data)` calls the service and returns what to tell the user; then back to the case.
    GET: `record_view()`. `context()` is asked when the page is drawn (after a refused POST, too)."""
    if request.method == "POST" and form.is_valid():
        try:
            done = act(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("console:case_detail", pk=case_id)
    if request.method == "GET":
        record_view()
    status = 400 if request.method == "POST" else 200
    return render(request, template, {**context(), "form": form, "case_id": case_id}, status=status)


def removal_decision_page(request: HttpRequest, *, removal, decide: Callable[..., object], approved: str,
                          case_id: int, record_view: Callable[[], None], template: str,
                          context: Callable[[], dict]) -> HttpResponse:
    """The 責任者's decision: `decide(approve=, note=)` is the service, which refuses the requester (and anyone not
    independent of them); `approved` says what approval did. `context()` may set `blocked` to disable approval."""

    def act(data: dict) -> str:
        approve = data["decision"] == "approve"
        decide(approve=approve, note=data["note"])
        return f"削除依頼を{approved if approve else '却下しました'}。"

    def full_context() -> dict:
        can_decide = request.user.is_supervisor and removal.state == ClearingRequestState.PENDING
        return {"removal": removal, "can_decide": can_decide, **context()}

    return removal_page(request, form=ClearingDecisionForm(request.POST or None), act=act, case_id=case_id,
                        record_view=record_view, template=template, context=full_context)
