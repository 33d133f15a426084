"""やりとり履歴 (every record of the insurer, hidden ones included), record detail with 追記依頼, the 追記依頼 list,
the manual-response queue and the 情報提供内容入力画面."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import localtime

from console import confirm, selectors
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
from institutions.models import Role
from members.models import Replica
from nakama.routers import replica_reads
from nakama.wareki import format_wareki


@console_view(read=ALL_ROLES)
def exchange_list(request: HttpRequest) -> HttpResponse:
    form = ExchangeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        page = selectors.HistoryPage([], None)
    else:
        # An auditor only reads: the page may come from the read replica (the audit entry below is a write).
        with replica_reads(enabled=request.user.role == Role.AUDITOR):
            page = selectors.exchange_history_page(request.user, cursor=request.GET.get("before", ""), **filters)
            page.object_list = selectors.annotate_records(request.user, page.object_list, page.staff)
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
    step = confirm.step(request) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid() and step == confirm.ASK:
        return confirm.render_confirmation(request, _append_confirmation(record, form.cleaned_data["reason"]))
    if request.method == "POST" and form.is_valid() and step == confirm.EXECUTE:
        try:
            file_append_request(actor=request.user, record=record, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "追記依頼を行いました。情報提供NWSが処理するまで、この記録はマイナポータルのやりとり履歴に表示されたままです。")
            return redirect("console:exchange_detail", pk=record.pk)
    [record] = selectors.annotate_records(request.user, [record])
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "console/exchange_detail.html", {
        "record": record, "form": form, "can_change": request.user.can_change,
    }, status=status)


def _append_confirmation(record, reason: str) -> confirm.Confirmation:
    subject = record.subject.name
    return confirm.Confirmation(
        title="追記依頼",
        lead=f"この記録（{format_wareki(localtime(record.inquired_at))} {record.item.name}）について、情報提供NWSに不開示の追記依頼を行います。",
        details=[("対象者", subject), ("照会機関", record.inquirer.name), ("提供機関", record.provider.name),
                 ("理由", reason)],
        effects=[
            f"追記依頼が処理されると、この記録は{subject}さんのマイナポータルのやりとり履歴に表示されなくなります"
            "（カードを持つ人や代理人にも見えなくなります）。",
            "処理されるまでの間は、記録は表示されたままです。",
            "追記依頼は取り下げられません。",
        ],
        button="追記依頼を行う",
    )


def _manual_confirmation(record, *, approve: bool, content=None, code: bool = False,
                         reason: str = "") -> confirm.Confirmation:
    subject, inquirer = record.subject.name, record.inquirer.name
    if not approve:
        return confirm.Confirmation(
            title="提供しない",
            lead=f"{inquirer}からの照会（{subject}さんの{record.item.name}）に、情報を提供しません。",
            details=[("提供しない理由", reason)],
            effects=["照会元には情報が送られません。この照会は「提供せず」で終わり、やりとり履歴には表示されません。",
                     "後から送信許可に変えることはできません。"],
            button="提供しないことに決める",
        )
    effects = [f"{inquirer}に、{subject}さんの{record.item.name}を送信します。送信した情報は取り消せません。"]
    if code:
        effects.append(f"不開示コードを付けて提供します。この記録は{subject}さんのマイナポータルのやりとり履歴に表示されません。")
    else:
        effects.append(f"不開示コードは付けません。この記録は{subject}さんのマイナポータルのやりとり履歴に表示され、"
                       "カードを持つ人や代理人にも、やりとりのあったことと機関名が見えます。")
    details = [(key, "設定なし" if value is None else str(value)) for key, value in (content or {}).items()]
    return confirm.Confirmation(
        title="送信許可", lead=f"{inquirer}への情報提供を送信します。", details=details, effects=effects,
        button="送信する",
    )


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
            step = confirm.step(request)
            if decline_form.is_valid() and step == confirm.ASK:
                return confirm.render_confirmation(request, _manual_confirmation(
                    record, approve=False, reason=decline_form.cleaned_data["reason"]))
            if decline_form.is_valid() and step == confirm.EXECUTE:
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
                step = confirm.step(request)
                if not errors and step == confirm.ASK:
                    return confirm.render_confirmation(request, _manual_confirmation(
                        record, approve=True, content=content,
                        code=code_forced or form.cleaned_data["nondisclosure_code"]))
                if not errors and step == confirm.EXECUTE:
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
    if request.method == "POST" and confirm.step(request) == confirm.BACK:
        status = 200  # back from the confirmation step, the values kept
    [record] = selectors.annotate_records(user, [record])
    return render(request, "console/manual_response.html", {
        "record": record, "replica": replica, "form": form, "decline_form": decline_form,
        "eligibility": selectors.eligibility_dates(record.our_member, original),
        "code_forced": code_forced, "can_change": user.can_change and record.state == ExchangeState.MANUAL,
    }, status=status)
