"""やりとり履歴 (every record of the insurer, hidden ones included), record detail with 追記依頼, the 追記依頼 list,
the manual-response queue and the 情報提供内容入力画面."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import selectors
from console.access import ALL_ROLES, CHANGERS, console_view, queued_record_for, record_for
from console.forms import (
    AppendRequestForm,
    ExchangeFilterForm,
    ManualDeclineForm,
    corrected_content,
    manual_response_form,
)
from console.services import record_audit_read
from console.views.common import add_service_errors, paginate
from exchanges.models import ExchangeState
from exchanges.services import (
    ProvisionNotSent,
    approve_manual_response,
    decline_manual_response,
    file_append_request,
)
from flags import policy
from flags import selectors as flag_selectors
from members.models import Replica


@console_view(read=ALL_ROLES)
def exchange_list(request: HttpRequest) -> HttpResponse:
    form = ExchangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        page = selectors.HistoryPage([], None)
    else:
        page = selectors.exchange_history_page(request.user, cursor=request.GET.get("before", ""), **filters)
    page.object_list = selectors.annotate_records(request.user, page.object_list)
    record_audit_read(
        actor=request.user, action="audit.exchanges_viewed",
        filters={k: str(v) for k, v in filters.items() if v}, count=len(page.object_list),
    )
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "console/exchange_list.html", {"form": form, "page": page, "query": query.urlencode()})


@console_view(read=ALL_ROLES, write=CHANGERS)
def exchange_detail(request: HttpRequest, pk) -> HttpResponse:
    record = record_for(request.user, pk)
    form = AppendRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            file_append_request(actor=request.user, record=record, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "追記依頼を行いました。この記録はマイナポータルのやりとり履歴に表示されません。")
            return redirect("console:exchange_detail", pk=record.pk)
    [record] = selectors.annotate_records(request.user, [record])
    status = 400 if request.method == "POST" else 200
    return render(request, "console/exchange_detail.html", {
        "record": record, "form": form, "can_change": request.user.can_change,
    }, status=status)


@console_view(read=ALL_ROLES)
def append_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.append_requests(request.user))
    return render(request, "console/append_list.html", {"page": page})


@console_view(read=ALL_ROLES)
def manual_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "console/manual_queue.html", {"records": selectors.manual_queue(request.user)})


def _replica(record) -> Replica | None:
    return (
        Replica.objects.filter(institution_id=record.provider_id, person_id=record.subject_id, item_id=record.item_id)
        .order_by("-registered_at", "-id")
        .first()
    )


@console_view(read=ALL_ROLES, write=CHANGERS)
def manual_response(request: HttpRequest, pk) -> HttpResponse:
    """情報提供内容入力画面 (別紙1 ③): check and correct the 副本, then 送信許可 or 提供しない."""
    user = request.user
    record = queued_record_for(user, pk)
    replica = _replica(record)
    original = replica.content if replica else None
    try:
        settings = flag_selectors.active_settings(institution_id=record.provider_id, person_id=record.subject_id)
        code_forced = policy.provision_gets_code(settings, record.item.code)
    except DatabaseError:
        code_forced = True  # shown as forced when it cannot be checked; the service re-checks and fails closed
    form = manual_response_form(original, item_code=record.item.code)
    decline_form = ManualDeclineForm()
    status = 200
    if request.method == "POST":
        if record.state != ExchangeState.MANUAL:
            messages.error(request, f"この照会はすでに処理されています（状態: {record.get_state_display()}）。")
            return redirect("console:manual_response", pk=record.pk)
        status = 400
        action = request.POST.get("action")
        if action not in ("approve", "decline"):
            messages.error(request, "送信許可か提供しないかを選んでください。")
        elif action == "decline":
            decline_form = ManualDeclineForm(request.POST)
            if decline_form.is_valid():
                try:
                    decline_manual_response(actor=user, record=record, reason=decline_form.cleaned_data["reason"])
                except ValidationError as exc:
                    add_service_errors(decline_form, exc)
                else:
                    messages.success(request, "この照会には情報提供しないことにしました。")
                    return redirect("console:manual_queue")
        else:
            form = manual_response_form(original, item_code=record.item.code, data=request.POST)
            if form.is_valid():
                content, errors = corrected_content(form, original)
                for name, message in errors.items():
                    form.add_error(name, message)
                if not errors:
                    try:
                        record = approve_manual_response(
                            actor=user, record=record, content=content,
                            nondisclosure_code=form.cleaned_data["nondisclosure_code"],
                        )
                    except ValidationError as exc:
                        add_service_errors(form, exc)
                    except ProvisionNotSent as exc:  # fail closed: the flag check failed, nothing was sent
                        form.add_error(None, exc.message)
                    else:
                        note = "不開示コードあり" if record.provision_code else "不開示コードなし"
                        messages.success(request, f"情報提供を送信しました（{note}）。")
                        return redirect("console:manual_queue")
    [record] = selectors.annotate_records(user, [record])
    return render(request, "console/manual_response.html", {
        "record": record, "replica": replica, "form": form, "decline_form": decline_form,
        "eligibility": selectors.eligibility_dates(record.our_member, original),
        "code_forced": code_forced, "can_change": user.can_change and record.state == ExchangeState.MANUAL,
    }, status=status)
