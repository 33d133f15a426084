"""Exposure sweep of a case (issue 11; 差戻し as work, issue 17 point 4): the records still shown in マイナポータル that
would tell the wrong person where she is. Lines NWS turned down (差戻し) are marked with NWS's reason and age and are
filed again in the same confirmed step as new ones."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import confirm
from console.access import ALL_ROLES, CHANGERS, case_for, console_view
from console.views.glass import glass_gate
from exchanges.sweep import LINKED, exposure_sweep, file_sweep_append_requests
from flags import selectors as flag_selectors
from flags.links import record_links_viewed

PAGE = "表示中の記録の確認"


@console_view(read=ALL_ROLES, write=CHANGERS)
def case_exposure(request: HttpRequest, pk: int) -> HttpResponse:
    """Selected lines get one 追記依頼 each, with one reason, after a confirmation step; 差戻し lines are chosen
    already (filing them again is the work they stand for)."""
    case = case_for(request.user, pk)
    gate = glass_gate(request, member=case.member, page=PAGE)
    if gate.response is not None:
        return gate.response
    lines = exposure_sweep(user=request.user, case=case)
    rejected = [line for line in lines if line.rejected]
    if request.method == "POST":
        selected = request.POST.getlist("records")
        reason = request.POST.get("reason", "").strip()
    else:
        selected = [str(line.record.pk) for line in rejected]
        reason = _sweep_reason(case)
    errors: list[str] = []
    if request.method == "POST" and case.is_open:
        step = confirm.step(request)
        chosen = [line for line in lines if str(line.record.pk) in selected and line.selectable]
        if not chosen:
            errors.append("追記依頼を行う記録を選んでください。")
        if not reason:
            errors.append("追記依頼の理由を入力してください。")
        if not errors and step == confirm.ASK:
            return confirm.render_confirmation(request, _sweep_confirmation(case, chosen, reason))
        if not errors and step == confirm.EXECUTE:
            try:
                filed = file_sweep_append_requests(actor=request.user, case=case, record_ids=selected, reason=reason)
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(request, f"{len(filed)}件の追記依頼を行いました。情報提供NWSが処理するまで、"
                                          "記録はマイナポータルに表示されたままです。")
                return redirect("console:case_exposure", pk=case.pk)
    if request.method == "GET":
        gate.record_view(actor=request.user, member=case.member)
    linked = {line.person for line in lines if line.about == LINKED}
    if linked:
        record_links_viewed(actor=request.user, case=case, links=[
            link for link in flag_selectors.links_of(request.user, case) if link.person in linked
        ], channel=PAGE)
    return render(request, "console/case_exposure.html", {
        "case": case, "lines": lines, "errors": errors, "selected": selected, "reason": reason,
        "can_change": request.user.can_change and case.is_open, "rejected_count": len(rejected),
        "selectable_count": sum(1 for line in lines if line.selectable),
    }, status=400 if errors else 200)


def _sweep_reason(case) -> str:
    """The sweep's reason starts from the case's own (issue 19): the reason its protections were set with."""
    first = case.settings.order_by("set_at", "pk").first()
    return f"設定対象者の保護のため（登録時の理由: {first.reason}）" if first else "設定対象者の保護のため"


def _sweep_confirmation(case, lines, reason: str) -> confirm.Confirmation:
    her = case.member.name
    again = [line for line in lines if line.rejected]
    details = [("理由", reason)] + [
        (f"{line.who_can_see}{'（差戻しの再依頼）' if line.rejected else ''}", line.reveals) for line in lines
    ]
    effects = [
        f"情報提供NWSが処理すると、これらの記録は{her}さんのマイナポータル（カードを持つ人・代理人を含む）と、"
        "要注意照会対象者本人のマイナポータルのやりとり履歴に表示されなくなります。",
        "処理されるまでの間は、記録は表示されたままです。処理の状況はこの画面と追記依頼の一覧で確認できます。",
        "追記依頼は取り下げられません。",
    ]
    if again:
        effects.insert(0, f"うち{len(again)}件は情報提供NWSに差し戻された追記依頼の再依頼です（差戻し理由: "
                          + "／".join(line.rejected.rejection_reason for line in again) + "）。")
    return confirm.Confirmation(
        title="表示中の記録の追記依頼",
        lead=f"選んだ{len(lines)}件の記録について、情報提供NWSに不開示の追記依頼を行います。",
        details=details,
        effects=effects,
        button=f"{len(lines)}件の追記依頼を行う",
    )
