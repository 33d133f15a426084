"""情報照会: enter, confirm (不開示コード 自動設定, 要注意照会対象, or by hand), send via the choke point."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console import selectors
from console.access import CHANGERS, console_view, member_for
from console.forms import InquiryForm
from console.views.common import add_service_errors
from console.views.glass import granted_reason
from exchanges.services import InquiryNotSent, InquiryRequest, send_inquiry
from flags import access_log
from flags.links import record_links_viewed
from members.models import Member, Person


def _subject(user, form: InquiryForm) -> tuple[Member | None, Person | None]:
    """Resolve the subject for the preview; adds a form error when it cannot be found."""
    data = form.cleaned_data
    if data.get("subject_type") == "member" and data.get("branch_number"):
        members = Member.objects.visible_to(user).select_related("person")
        member = members.filter(branch_number=data["branch_number"]).first()
        if member is None:
            form.add_error("branch_number", "この枝番の被保険者は見つかりません。")
            return None, None
        return member, member.person
    if not (data.get("subject_type") == "person" and data.get("sim_id")):
        return None, None  # not typed: the form already says so
    person = Person.objects.filter(sim_id=data["sim_id"]).first()
    if person is None:
        form.add_error("sim_id", "入力された個人識別子に該当する個人が見つかりません。")
        return None, None
    return None, person


@console_view(read=CHANGERS, write=CHANGERS)
def inquiry_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "GET":
        initial, preview = {}, None
        if request.GET.get("member"):
            member = member_for(user, request.GET["member"]) if request.GET["member"].isdigit() else None
            if member is not None:
                initial = {"subject_type": "member", "branch_number": member.branch_number}
                preview = selectors.inquiry_preview(user, person=member.person, item=None)
        form = InquiryForm(initial=initial, user=user)
        return render(request, "console/inquiry_form.html", {"form": form, "preview": preview})

    form = InquiryForm(request.POST, user=user)
    step = request.POST.get("step", "confirm")
    valid = form.is_valid()
    member, person = _subject(user, form)  # an unknown 枝番 / 個人識別子 in the same round as the other errors
    if not valid or person is None:
        return render(request, "console/inquiry_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    preview = selectors.inquiry_preview(user, person=person, item=data["item"])
    # Issue 17: about a protected person or a linked one, a sender who is not 担当 gives a reason first.
    access = access_log.inquiry_access(user, person_id=person.pk)
    reason = request.POST.get("access_reason", "").strip() or next(
        (r for m in access.outside if (r := granted_reason(request, m.pk))), "")
    context = {"form": form, "preview": preview, "data": data, "needs_reason": access.needs_reason,
               "access_reason": reason}
    if step == "edit":
        return render(request, "console/inquiry_form.html", {"form": form, "preview": preview if member else None})
    if step != "send":
        # 確認画面. For a linked person the code is not a choice: send_inquiry attaches it whatever is posted. The
        # page names the cases that link him: a view of the link, recorded like every other.
        for case in preview.linked_cases:
            links = case.linked_persons.in_force().filter(person=person).select_related("person")
            record_links_viewed(actor=user, case=case, links=links, channel="情報照会の確認")
        return render(request, "console/inquiry_confirm.html", context)

    code = data["nondisclosure_code"]
    context["code_checked"] = code
    try:
        access = access_log.inquiry_access(user, person_id=person.pk, reason=reason)
    except ValidationError as exc:
        context["access_error"] = exc.messages[0]
        return render(request, "console/inquiry_confirm.html", context, status=400)
    try:
        with transaction.atomic():  # the inquiry and its access entries commit together
            record = send_inquiry(
                actor=user,
                request=InquiryRequest(
                    procedure=data["procedure"], item=data["item"], provider=data["provider"],
                    member=member, sim_id=None if member else person.sim_id, nondisclosure_code=code,
                ),
            )
            access.record(actor=user, person_id=person.pk)
    except InquiryNotSent as exc:
        context["not_sent"] = exc.message
        return render(request, "console/inquiry_confirm.html", context, status=503)
    except ValidationError as exc:
        add_service_errors(form, exc, {"member": "branch_number"})
        return render(request, "console/inquiry_confirm.html", context, status=400)
    if record.inquiry_code:
        messages.success(request, f"情報照会を送信しました（不開示コード: {record.get_inquiry_code_source_display()}）。")
    else:
        messages.success(request, "情報照会を送信しました（不開示コードなし）。")
    return redirect("console:exchange_detail", pk=record.pk)
