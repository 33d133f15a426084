"""設定対象者の登録（一括） (issue 19): one form, one confirmation, then the case page.

Page loads from the search result: the form, its confirmation, the case page (the redirect lands there). A fourth
only when the form comes back with its errors, all of them at once.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render

from console import confirm
from console.access import CHANGERS, console_view, member_for
from console.intake import IntakeForm, lookup, preview, register
from console.views.common import add_service_errors
from flags.models import ProtectionCase
from flags.services import OpenCaseExists

# The services' field names → the form's.
FIELD_MAP = {"linked_persons": "linked", "person": "linked", "records": None, "reason": "reason"}


def _open_case(user, member):
    return ProtectionCase.objects.visible_to(user).filter(member=member, closed_at__isnull=True).first()


@console_view(read=CHANGERS, write=CHANGERS)
def intake(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = member_for(request.user, member_pk)
    form = IntakeForm(request.POST or None, user=request.user, member=member)
    open_case = _open_case(request.user, member)
    if request.method == "POST" and form.is_valid():
        step = confirm.step(request)
        if step == confirm.BACK:
            return _form_page(request, member, form, open_case, status=200)
        try:
            if step == confirm.EXECUTE:
                done = register(actor=request.user, intake=form.intake(), record_ids=request.POST.getlist("exposure"))
                messages.success(request, _done_message(done))
                return redirect("console:case_detail", pk=done.case.pk)
            outcome = preview(actor=request.user, intake=form.intake())
        except OpenCaseExists as exc:
            open_case = exc.case
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            add_service_errors(form, exc, FIELD_MAP)
        else:
            return _confirmation(request, member, form, outcome)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, member, form, open_case, status=status)


def _form_page(request, member, form, open_case, *, status: int) -> HttpResponse:
    return render(request, "console/intake/form.html", {
        "member": member, "form": form, "open_case": open_case,
    }, status=status)


def _confirmation(request, member, form, outcome) -> HttpResponse:
    replay = [
        (name, value) for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirmed", "exposure") for value in values
    ]
    intake_data = form.intake()
    return render(request, "console/intake/confirm.html", {
        "member": member, "form": form, "data": form.cleaned_data, "linked": intake_data.linked,
        "dates": [(form.fields[f].label, d) for f, d in intake_data.dates.items()],
        "outcome": outcome, "append_reason": intake_data.append_reason, "replay": replay,
    })


def _done_message(done) -> str:
    parts = [f"設定対象者を登録しました。設定したフラグ: {'、'.join(done.setting_labels) or 'なし（設定済み）'}"]
    links = done.case.linked_persons.count()
    if links:
        parts.append(f"要注意照会対象者 {links}名")
    if done.appended:
        parts.append(f"追記依頼 {len(done.appended)}件（情報提供NWSが処理するまで記録は表示されたままです）")
    return "。".join(parts) + "。"


def _get_only(view):
    """GET only for signed-in staff (405 otherwise); the anonymous still go to sign-in through console_view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD") and request.user.is_authenticated:
            return HttpResponseNotAllowed(["GET"])
        return view(request, *args, **kwargs)

    return wrapper


@_get_only
@console_view(read=CHANGERS)
def intake_lookup(request: HttpRequest, member_pk: int) -> JsonResponse:
    """The names the form's script shows as identifiers are typed: 枝番 of our own members, 個人識別子 of anyone."""
    member = member_for(request.user, member_pk)
    found = lookup(user=request.user, member=member, text=request.GET.get("q", "")[:400])
    return JsonResponse({"results": found}, json_dumps_params={"ensure_ascii": False})
