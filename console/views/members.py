"""被保険者検索・被保険者詳細 (settings and their history), setting a flag, asking to clear one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import confirm, selectors
from console.access import ALL_ROLES, CHANGERS, console_view, member_for, setting_for
from console.forms import ClearingRequestForm, MemberSearchForm, SettingForm
from console.views.common import add_service_errors
from console.views.glass import SEARCH_PAGE, glass_gate
from exchanges.models import ExchangeRecord
from flags import access_log
from flags.card_gate import gate_display, gate_for
from flags.handover import pending_handover_persons
from flags.models import ProtectionCase
from flags.policy import SETTING_EFFECTS, SETTING_LABELS, SettingKind
from flags.services import request_clearing, set_setting


@console_view(read=ALL_ROLES)
def member_search(request: HttpRequest) -> HttpResponse:
    form = MemberSearchForm(request.GET or None)
    results, truncated = None, False
    if form.is_bound and form.is_valid():
        rows = list(selectors.search_members(request.user, **form.cleaned_data)[: selectors.SEARCH_LIMIT + 1])
        truncated = len(rows) > selectors.SEARCH_LIMIT
        results = rows[: selectors.SEARCH_LIMIT]
        protected = selectors.protected_member_ids(request.user, [m.pk for m in results])
        handover = pending_handover_persons(request.user, [m.person_id for m in results])  # 引継ぎ確認待ち
        # Issue 17: a protected person is shown masked (「保護対象者」) to anyone not 担当 until a reason is given.
        masked = access_log.masked_member_ids(request.user, protected,
                                              granted=access_log.granted_in_session(request.session))
        for m in results:
            m.is_protected = m.pk in protected
            m.handover_pending = m.person_id in handover
            m.masked = m.pk in masked
    return render(request, "console/member_search.html", {
        "form": form, "results": results, "truncated": truncated, "limit": selectors.SEARCH_LIMIT,
        "search_page": SEARCH_PAGE,
    })


def _member_context(request, member, setting_form=None):
    user = request.user
    records = selectors.annotate_records(
        user,
        ExchangeRecord.objects.visible_to(user).filter(subject_id=member.person_id)
        .select_related("inquirer", "provider", "procedure", "item", "subject").order_by("-inquired_at")[:20],
    )
    return {
        "member": member,
        "settings": selectors.member_settings(user, member),
        "cases": ProtectionCase.objects.visible_to(user).filter(member=member),
        "records": records,
        "setting_form": setting_form or SettingForm(),
        "effects": selectors.setting_effects(),
        "is_protected": selectors.is_protected(user, member),
        "can_change": user.can_change,
    }


@console_view(read=ALL_ROLES, write=CHANGERS)
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_for(request.user, pk)
    if request.method == "POST":
        form = SettingForm(request.POST)
        step = confirm.step(request)
        if form.is_valid() and step == confirm.ASK:
            return confirm.render_confirmation(request, _setting_confirmation(member, form.cleaned_data))
        if form.is_valid() and step == confirm.BACK:
            return render(request, "console/member_detail.html", _member_context(request, member, form))
        if form.is_valid():
            try:
                set_setting(actor=request.user, member=member, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                label = SETTING_LABELS[SettingKind(form.cleaned_data["kind"])]
                scope = form.cleaned_data["item"].name if form.cleaned_data["item"] else "全体"
                messages.success(request, f"{label}（{scope}）を設定しました。")
                return redirect("console:member_detail", pk=member.pk)
        return render(request, "console/member_detail.html", _member_context(request, member, form), status=400)
    gate = glass_gate(request, member=member, page="被保険者詳細")  # issue 17: break the glass
    if gate.response is not None:
        return gate.response
    context = _member_context(request, member)
    if context["is_protected"]:
        gate.record_view(actor=request.user, member=member)
    return render(request, "console/member_detail.html", context)


def _setting_confirmation(member, data) -> confirm.Confirmation:
    kind = SettingKind(data["kind"])
    scope = data["item"].name if data["item"] else "全体（被保険者枝番単位）"
    effects = SETTING_EFFECTS[kind]
    return confirm.Confirmation(
        title=f"{SETTING_LABELS[kind]}の設定",
        lead=f"{member.name}さん（枝番 {member.branch_number}）に{SETTING_LABELS[kind]}（{scope}）を設定します。",
        details=[("設定理由", data["reason"])],
        effects=[
            f"他機関からの照会への提供: {effects['answer']}",
            f"マイナポータルの自己情報: {effects['self_info']}",
            f"マイナポータルのやりとり履歴: {effects['history']}",
            "設定は直ちに有効になります。解除には、依頼者以外の責任者の承認が必要です。",
        ],
        button="設定する",
    )


@console_view(read=CHANGERS, write=CHANGERS)
def setting_request_clearing(request: HttpRequest, pk: int) -> HttpResponse:
    """解除依頼: the setting stays in force until a supervisor other than the requester approves."""
    setting = setting_for(request.user, pk)
    form = ClearingRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_clearing(actor=request.user, setting=setting, reason=form.cleaned_data["reason"],
                             override_reason=form.cleaned_data["override_reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "解除依頼を登録しました。責任者（依頼者以外）の承認後に解除されます。")
            return redirect("console:member_detail", pk=setting.member_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/setting_clearing.html", {
        "setting": setting, "form": form, "gate": card_procedure_status(setting),
        "is_supervisor": request.user.is_supervisor,
    }, status=status)


def card_procedure_status(setting) -> dict | None:
    """For the clearing pages: the case ① holding this setting back, its dated checklist and what is missing."""
    case, gate = gate_for(setting)  # the typed checklist and Nakama's own card and proxy facts (flags.card_gate)
    return gate_display(case, gate) if gate.applies else None
