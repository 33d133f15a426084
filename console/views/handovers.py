"""引継ぎ (issue 11 point 3): the old insurer's offer from the case page; the new insurer's pending handovers and
its 責任者's confirmation or decline. Each side reads only its own: the new insurer sees what the offer names."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import confirm
from console.access import CHANGERS, OVERSEERS, SUPERVISORS, case_for, console_view
from console.forms import HandoverDeclineForm, HandoverOfferForm
from console.views.common import add_service_errors
from flags.handover import (
    confirm_handover,
    decline_handover,
    handover_kinds,
    handovers_offered,
    handovers_received,
    kinds_labels,
    offer_handover,
)
from flags.policy import SETTING_LABELS, SettingKind
from nakama.wareki import format_wareki

WARNING = ("引継ぎ先では、本人が被保険者である（又は加入した）時点で設定が仮設定されます（引継ぎによる仮設定）。"
           "引継ぎ先の責任者が確認するよう、申出の後すぐに、引継ぎ先の保険者へ電話等で連絡してください。")


@console_view(read=CHANGERS, write=CHANGERS)
def handover_offer(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)
    form = HandoverOfferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = confirm.step(request)
        if step == confirm.ASK:
            return confirm.render_confirmation(request, confirm.Confirmation(
                title="引継ぎの申出",
                lead=f"{case.member.name}さんの保護を{data['to_institution'].name}に引き継ぐよう申し出ます。",
                details=[("引継ぎ先", data["to_institution"].name),
                         ("引き継ぐ設定", "、".join(SETTING_LABELS[SettingKind(k)] for k in handover_kinds(case))),
                         ("本人の同意を確認した日", format_wareki(data["consent_on"]))],
                effects=[f"引継ぎ先には、{case.member.name}さんの氏名、引き継ぐ設定の種別、要注意照会対象者、"
                         "本人の申出の有無、ケース①②、カード停止等手続の日付、見直し日だけが伝わります。"
                         "当保険者の記録や経緯、職員の氏名は伝わりません。",
                         WARNING],
                warning=WARNING,
                button="引継ぎを申し出る",
            ))
        if step == confirm.EXECUTE:
            try:
                offer_handover(actor=request.user, case=case, to_institution=data["to_institution"],
                               consent_on=data["consent_on"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.warning(request, "引継ぎを申し出ました。" + WARNING)
                return redirect("console:handover_offer", pk=case.pk)
    offers = handovers_offered(request.user).filter(from_case=case).order_by("-offered_at")
    return render(request, "console/handover_offer.html", {
        "case": case, "form": form, "offers": offers, "warning": WARNING,
        "kinds": [SETTING_LABELS[SettingKind(k)] for k in handover_kinds(case)],
    }, status=400 if request.method == "POST" and form.errors else 200)


@console_view(read=OVERSEERS)
def handover_list(request: HttpRequest) -> HttpResponse:
    rows = list(handovers_received(request.user)[:100])
    for h in rows:
        h.kind_labels = kinds_labels(h)
    return render(request, "console/handover_list.html", {"rows": rows})


@console_view(read=OVERSEERS, write=SUPERVISORS)
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = handovers_received(request.user).filter(pk=pk).first()
    if handover is None:
        raise Http404
    form = HandoverDeclineForm(request.POST or None)
    if request.method == "POST":
        decision = request.POST.get("decision")
        step = confirm.step(request)
        if decision == "confirm" and step == confirm.ASK:
            return confirm.render_confirmation(request, confirm.Confirmation(
                title="引継ぎの確認",
                lead=f"{handover.person.name}さんの引継ぎを確認し、当保険者の設定対象者とします。",
                details=[("設定", "、".join(kinds_labels(handover))),
                         ("要注意照会対象者", "、".join(p.name for p in handover.linked_persons.all()) or "なし"),
                         ("見直し日", format_wareki(handover.review_on))],
                effects=["加入の時点で仮設定された設定（引継ぎによる仮設定）が、そのまま当保険者の設定対象者の設定に"
                         "なります。当保険者が行う情報照会・情報提供には不開示コードが自動で付き、マイナポータルの"
                         "やりとり履歴に当保険者の名称は表示されません。",
                         "要注意照会対象者に係る当保険者の情報照会にも、不開示コードが自動で付きます。"],
                button="引継ぎを確認して設定する",
            ))
        if decision == "confirm" and step == confirm.EXECUTE:
            try:
                case = confirm_handover(actor=request.user, handover=handover)
            except ValidationError as exc:
                form.add_error(None, "；".join(exc.messages))
            else:
                messages.success(request, "引継ぎを確認しました。仮設定されていた設定対象者が当保険者の設定対象者になりました。")
                return redirect("console:case_detail", pk=case.pk)
        if decision == "decline" and form.is_valid():
            if step == confirm.ASK:
                return confirm.render_confirmation(request, confirm.Confirmation(
                    title="引継ぎの辞退", lead=f"{handover.person.name}さんの引継ぎを辞退します。",
                    details=[("理由", form.cleaned_data["reason"])],
                    effects=["引継ぎ元の保険者に辞退と理由が伝わります。",
                             "すでに仮設定された設定と要注意照会対象者は、辞退しても解除されません。不要な場合は、"
                             "設定対象者の画面から通常の解除依頼（依頼者以外の責任者の承認）で解除してください。"],
                    button="辞退する",
                ))
            if step == confirm.EXECUTE:
                try:
                    decline_handover(actor=request.user, handover=handover, reason=form.cleaned_data["reason"])
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, "引継ぎを辞退しました。")
                    return redirect("console:handover_list")
    return render(request, "console/handover_detail.html", {
        "h": handover, "kinds": kinds_labels(handover), "form": form,
        "can_decide": request.user.is_supervisor and handover.is_pending,
    }, status=400 if request.method == "POST" and form.errors else 200)
