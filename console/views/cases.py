"""設定対象者 (protection cases, 別紙2 §2–3): list, the one-step registration with its settings, and the checklist."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from console import selectors
from console.access import ALL_ROLES, CHANGERS, case_for, console_view, member_for
from console.forms import ChecklistForm, ProtectionCaseForm
from console.services import record_protected_view
from console.views.common import add_service_errors
from flags import selectors as flag_selectors
from flags.links import record_links_viewed
from flags.models import ProtectionCase
from flags.services import CHECKLIST_FIELDS, open_protection_case, update_case_checklist
from members.models import Person
from portal_sim.selectors import card_status


@console_view(read=ALL_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    cases = (
        ProtectionCase.objects.visible_to(request.user)
        .select_related("member", "opened_by")
        .annotate(linked_count=Count("linked_persons", filter=Q(linked_persons__removed_at__isnull=True)))
    )
    return render(request, "console/case_list.html", {"cases": cases})


@console_view(read=CHANGERS, write=CHANGERS)
def case_new(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = member_for(request.user, member_pk)
    form = ProtectionCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sim_ids = data.pop("linked_sim_ids")
        persons = {p.sim_id: p for p in Person.objects.filter(sim_id__in=sim_ids)}
        unknown = [s for s in sim_ids if s not in persons]
        if unknown:
            form.add_error("linked_sim_ids", f"個人識別子に該当する個人が見つかりません: {'、'.join(unknown)}")
        if not form.errors:
            try:
                case = open_protection_case(
                    actor=request.user, member=member, linked_persons=[persons[s] for s in sim_ids], **data
                )
            except ValidationError as exc:
                add_service_errors(form, exc, {"linked_persons": "linked_sim_ids"})
            else:
                labels = "、".join(s.get_kind_display() for s in case.settings.all())
                messages.success(request, f"設定対象者を登録しました。設定したフラグ: {labels or 'なし（設定済み）'}")
                return redirect("console:case_detail", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"member": member, "form": form, "effects": selectors.setting_effects()}
    return render(request, "console/case_new.html", context, status=status)


@console_view(read=ALL_ROLES, write=CHANGERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    if request.method == "POST":
        form = ChecklistForm(request.POST)
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
        status = 400
    else:
        form = ChecklistForm(initial={**{f: getattr(case, f) for f in CHECKLIST_FIELDS}, "notes": case.notes})
        status = 200
        record_protected_view(actor=request.user, member=case.member, page="設定対象者詳細")
    links = flag_selectors.links_of(request.user, case)
    if request.method == "GET" and links:
        record_links_viewed(actor=request.user, case=case, links=links, channel="設定対象者詳細")
    settings = [s for s in selectors.member_settings(request.user, case.member)]
    procedures_done = (not case.case_card_or_proxy) or (
        (case.card_suspension_done or not case.card_suspension_advised)
        and (case.proxy_cancel_done or not case.proxy_cancel_advised)
        and (case.card_suspension_done or case.proxy_cancel_done)
    )
    context = {
        "case": case,
        "links": links,
        "form": form,
        "settings": settings,
        "effects": selectors.setting_effects(),
        "card_status": card_status(case.member.person),
        "portal_preview_url": reverse("portal_sim:staff_preview", kwargs={"case_pk": case.pk}),
        "procedures_done": procedures_done,
        "can_change": request.user.can_change,
    }
    return render(request, "console/case_detail.html", context, status=status)
