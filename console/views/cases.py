"""設定対象者 (protection cases, 別紙2 §2–3): list, the one-step registration with its settings, the dated
checklist, the review date, and closing a case through four eyes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from console import confirm, selectors
from console.access import ALL_ROLES, CHANGERS, OVERSEERS, SUPERVISORS, case_for, console_view, member_for
from console.forms import CaseClosureForm, ChecklistForm, ClearingDecisionForm, ProtectionCaseForm, ReviewDateForm
from console.intake import portal_preview
from console.views.common import add_service_errors
from console.views.glass import glass_gate
from exchanges.sweep import exposure_sweep
from flags import access_log
from flags import selectors as flag_selectors
from flags.card_gate import case_facts, case_gate, gate_display
from flags.case_lifecycle import decide_case_closure, request_case_closure, set_review_date, settings_in_force
from flags.cases import (
    CHECKLIST_FIELDS,
    OpenCaseExists,
    case_settings_to_set,
    default_review_date,
    open_protection_case,
    update_case_checklist,
)
from flags.links import record_links_viewed
from flags.models import CaseClosure, ClearingRequestState, ProtectionCase
from flags.policy import SETTING_EFFECTS, SETTING_LABELS
from members.models import Person
from nakama.wareki import format_wareki
from portal_sim.selectors import card_status


@console_view(read=ALL_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    cases = list(
        ProtectionCase.objects.visible_to(request.user)
        .select_related("member", "opened_by")
        .annotate(linked_count=Count("linked_persons", filter=Q(linked_persons__removed_at__isnull=True)))
    )
    # Issue 17: the list masks her as the name search does (「保護対象者」, the case number only) for staff who are
    # not 担当 and gave no reason for her: a colleague looking her up for the abuser must not just read the list.
    masked = access_log.masked_case_ids(request.user, cases, granted=access_log.granted_in_session(request.session))
    for case in cases:
        case.masked = case.pk in masked
    return render(request, "console/case_list.html", {"cases": cases, "today": timezone.localdate()})


def _registration_confirmation(member, data: dict, linked: list) -> confirm.Confirmation:
    kinds = case_settings_to_set(
        case_card_or_proxy=data["case_card_or_proxy"], wants_non_disclosure=data["wants_non_disclosure"],
        wants_no_self_info=data["wants_no_self_info"], no_auto_response_wanted=data["no_auto_response_wanted"],
    )
    labels = "、".join(SETTING_LABELS[k] for k in kinds) or "なし"
    effects = []
    for kind in kinds:
        e = SETTING_EFFECTS[kind]
        effects.append(f"{SETTING_LABELS[kind]}: 提供 — {e['answer']} 自己情報 — {e['self_info']} "
                       f"やりとり履歴 — {e['history']}")
    if data["case_card_or_proxy"]:
        effects.append("ケース①: 不開示該当フラグと自己情報提供不可フラグは、カード停止等手続の完了を日付とともに確認するまで"
                       "解除できません（責任者が理由を記入した場合を除く）。")
    if linked:
        effects.append(f"要注意照会対象者 {len(linked)}名: この方々に係る自保険者の情報照会には、登録の時点から不開示コードが"
                       "自動で付きます。")
    effects.append("設定は直ちに有効になり、解除には依頼者以外の責任者の承認が必要です。期限で自動的に解除されることはありません。")
    review_on = default_review_date(timezone.localdate())
    return confirm.Confirmation(
        title="設定対象者の登録",
        lead=f"{member.name}さん（枝番 {member.branch_number}）を設定対象者として登録し、{labels}を全体（被保険者枝番単位）に"
        "設定します。",
        details=[("設定理由", data["reason"]), ("見直し日", f"{format_wareki(review_on)}（登録から1年。登録後に変更できます）")],
        effects=effects,
        button="登録して設定する",
    )


@console_view(read=CHANGERS, write=CHANGERS)
def case_new(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = member_for(request.user, member_pk)
    form = ProtectionCaseForm(request.POST or None)
    open_case = ProtectionCase.objects.visible_to(request.user).filter(member=member, closed_at__isnull=True).first()
    status = 200
    # Unknown 個人識別子 are reported with every other error, in one round (issue 19 point 4).
    if request.method == "POST" and (form.is_valid() or "linked_sim_ids" in getattr(form, "cleaned_data", {})):
        data = dict(form.cleaned_data)
        sim_ids = data.pop("linked_sim_ids")
        persons = {p.sim_id: p for p in Person.objects.filter(sim_id__in=sim_ids)}
        unknown = [s for s in sim_ids if s not in persons]
        if unknown:
            form.add_error("linked_sim_ids", f"個人識別子に該当する個人が見つかりません: {'、'.join(unknown)}")
        linked = [persons[s] for s in sim_ids if s in persons]
        step = confirm.step(request)
        if not form.errors and open_case is None and step == confirm.ASK:
            return confirm.render_confirmation(request, _registration_confirmation(member, data, linked))
        if not form.errors and step == confirm.EXECUTE:
            try:
                case = open_protection_case(actor=request.user, member=member, linked_persons=linked, **data)
            except OpenCaseExists as exc:
                open_case = exc.case
                form.add_error(None, exc.messages)
            except ValidationError as exc:
                add_service_errors(form, exc, {"linked_persons": "linked_sim_ids"})
            else:
                labels = "、".join(s.get_kind_display() for s in case.settings.all())
                messages.success(request, f"設定対象者を登録しました。設定したフラグ: {labels or 'なし（設定済み）'}")
                return redirect("console:case_detail", pk=case.pk)
        elif not form.errors and open_case is not None:
            form.add_error(None, OpenCaseExists(open_case).messages)
        if form.errors:
            status = 400
    elif request.method == "POST":
        status = 400
    context = {"member": member, "form": form, "effects": selectors.setting_effects(), "open_case": open_case}
    return render(request, "console/case_new.html", context, status=status)


def companions_of(case) -> list:
    """同伴者 of the case (in force first, then removed ones as history), with any pending removal request."""
    companions = list(case.companions.select_related("member").prefetch_related("removal_requests"))
    for c in companions:
        c.pending_removal = next(
            (r for r in c.removal_requests.all() if r.state == ClearingRequestState.PENDING), None
        )
        # Nakama's own record: a linked person (the abuser) is still this companion's 代理人.
        c.linked_proxy = c.is_in_force and case.is_open and case_facts(case, person_id=c.member.person_id).linked_proxy
    return sorted(companions, key=lambda c: (not c.is_in_force, c.added_at, c.pk))


def _case_context(request, case, **forms) -> dict:
    user = request.user
    pending_closure = case.closures.filter(state=ClearingRequestState.PENDING).first()
    in_force = settings_in_force(case) if case.is_open else []
    return {
        "case": case,
        "links": flag_selectors.links_of(user, case),
        "companions": companions_of(case),
        "form": forms.get("form") or ChecklistForm(initial={
            **{f: getattr(case, f) for f in CHECKLIST_FIELDS}, "notes": case.notes,
            "card_suspension_not_applicable": case.card_suspension_not_applicable,
            "card_suspension_not_applicable_reason": case.card_suspension_not_applicable_reason,
        }),
        "review_form": forms.get("review_form") or ReviewDateForm(initial={"review_on": case.review_on}),
        "closure_form": forms.get("closure_form") or CaseClosureForm(initial={"clear_settings": bool(in_force)}),
        "settings": list(selectors.member_settings(user, case.member)),
        "effects": selectors.setting_effects(),
        "card_status": card_status(case.member.person),
        "portal_preview_url": reverse("portal_sim:staff_preview", kwargs={"case_pk": case.pk}),
        "gate": gate_display(case, case_gate(case)),
        "in_force": in_force,
        "pending_closure": pending_closure,
        "closures": case.closures.all(),
        "review_due": case.is_open and case.review_on <= timezone.localdate(),
        "can_change": user.can_change and case.is_open,
        "is_supervisor": user.is_supervisor,
        # Issue 11: the exposure sweep runs on every view of the case (so right after opening it or linking a person).
        "exposure": exposure_sweep(user=user, case=case) if case.is_open else [],
    }


@console_view(read=ALL_ROLES, write=CHANGERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    if request.method == "POST":
        form = ChecklistForm(request.POST, case=case)
        if form.is_valid():
            data = dict(form.cleaned_data)
            notes = data.pop("notes")
            try:
                update_case_checklist(actor=request.user, case=case, notes=notes, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "カード停止等手続の状況を更新しました。")
                return redirect("console:case_detail", pk=case.pk)
        return render(request, "console/case_detail.html", _case_context(request, case, form=form), status=400)
    gate = glass_gate(request, member=case.member, page="設定対象者詳細", case=case)  # issue 17: break the glass
    if gate.response is not None:
        return gate.response
    gate.record_view(actor=request.user, member=case.member)
    context = _case_context(request, case)
    context["preview"] = portal_preview(user=request.user, case=case)  # issue 19: 加害者から見える内容, inline
    if context["links"]:
        record_links_viewed(actor=request.user, case=case, links=context["links"], channel="設定対象者詳細")
    return render(request, "console/case_detail.html", context)


@console_view(write=CHANGERS)
def case_review_date(request: HttpRequest, pk: int) -> HttpResponse:
    """見直し日: staff set the next review (audited). Nothing expires when it passes."""
    case = case_for(request.user, pk)
    form = ReviewDateForm(request.POST)
    if form.is_valid():
        try:
            set_review_date(actor=request.user, case=case, review_on=form.cleaned_data["review_on"],
                            reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"見直し日を {format_wareki(form.cleaned_data['review_on'])} にしました。")
            return redirect("console:case_detail", pk=case.pk)
    return render(request, "console/case_detail.html", _case_context(request, case, review_form=form), status=400)


@console_view(write=CHANGERS)
def case_close_request(request: HttpRequest, pk: int) -> HttpResponse:
    """終了依頼: the case stays open until a supervisor other than the requester approves."""
    case = case_for(request.user, pk)
    form = CaseClosureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            request_case_closure(actor=request.user, case=case, reason=data["reason"],
                                 clear_settings=data["clear_settings"], override_reason=data["override_reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "終了依頼を登録しました。責任者（依頼者以外）の承認後に終了します。")
            return redirect("console:case_detail", pk=case.pk)
    return render(request, "console/case_detail.html", _case_context(request, case, closure_form=form), status=400)


def _closure_for(user, pk) -> CaseClosure:
    return get_object_or_404(
        CaseClosure.objects.visible_to(user).select_related("case", "case__member", "case__member__person"), pk=pk
    )


def _closure_confirmation(closure: CaseClosure, in_force) -> confirm.Confirmation:
    member = closure.case.member
    effects = []
    if closure.clear_settings and in_force:
        for s in in_force:
            whose = f"（同伴者 {s.member.name}さん）" if s.member_id != closure.case.member_id else ""
            effects.append(f"{s}{whose}を解除します: {confirm.CLEARING_EFFECTS[s.kind]}")
    effects.append("設定対象者は「終了」になります。要注意照会対象者（加害者など）に係る照会に、この設定対象者を理由として不開示コードが自動で付くことはなくなります。")
    effects.append("これまでの記録・設定の履歴は残ります。再び保護が必要になった場合は、新たに登録します。")
    return confirm.Confirmation(
        title="設定対象者の終了の承認",
        lead=f"{member.name}さん（枝番 {member.branch_number}）の設定対象者としての対応を終了します。",
        details=[("終了理由", closure.reason), ("依頼者", closure.requested_by_name)]
        + ([("手続完了前の解除の理由（責任者）", closure.override_reason)] if closure.override_reason else []),
        effects=effects,
        button="承認して終了する",
    )


@console_view(read=OVERSEERS, write=SUPERVISORS)
def closure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """終了依頼の承認・却下 (four eyes), with the dated checklist and any override shown."""
    closure = _closure_for(request.user, pk)
    case = closure.case
    in_force = settings_in_force(case) if case.is_open else []
    form = ClearingDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        step = confirm.step(request)
        if approve and step == confirm.ASK:
            return confirm.render_confirmation(request, _closure_confirmation(closure, in_force))
        if not approve or step == confirm.EXECUTE:
            try:
                decide_case_closure(actor=request.user, closure=closure, approve=approve,
                                    note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "設定対象者を終了しました。" if approve else "終了依頼を却下しました。")
                return redirect("console:case_detail", pk=case.pk)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "console/closure_detail.html", {
        "closure": closure, "case": case, "form": form, "in_force": in_force,
        "gate": gate_display(case, case_gate(case)) if case.case_card_or_proxy else None,
        "own_request": closure.requested_by_id == request.user.pk,
        "can_decide": request.user.is_supervisor and closure.state == ClearingRequestState.PENDING,
    }, status=status)
