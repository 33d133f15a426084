"""Break the glass (issue 17 point 6): a staff member who is not 担当 of a protected person gives a one-line reason
before her page opens; the reason is kept in the session for that person (until sign-out) and on every
`protected.viewed` entry written while it holds. Also the 担当 list's add/remove (責任者, from the case page)."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from console.access import ALL_ROLES, SUPERVISORS, case_for, console_view, member_for
from flags import access_log
from institutions.models import Staff

SEARCH_PAGE = "被保険者検索"


def granted_reason(request: HttpRequest, member_pk: int) -> str:
    return access_log.granted_reason(request.session, member_pk)


@dataclass
class Gate:
    """What a page about her may do: `response` is the reason prompt when the caller must give one first."""

    response: HttpResponse | None
    in_charge: bool = True
    reason: str = ""
    page: str = ""

    def record_view(self, *, actor, member) -> None:
        access_log.record_access(actor=actor, member=member, channel=self.page, reason=self.reason,
                                 in_charge=self.in_charge)


def glass_gate(request: HttpRequest, *, member, page: str, case=None) -> Gate:
    """Ask for the reason unless the caller is 担当 or gave one for her in this session. Not protected: no gate
    and nothing to record (Gate.in_charge is True and the page records nothing of its own)."""
    user = request.user
    if not access_log.needs_reason(user, member, case=case):
        return Gate(response=None, in_charge=True, page=page)
    reason = granted_reason(request, member.pk)
    if reason:
        return Gate(response=None, in_charge=False, reason=reason, page=page)
    return Gate(response=_prompt(request, member_pk=member.pk, page=page, next_url=request.get_full_path()),
                in_charge=False, page=page)


def _prompt(request, *, member_pk: int, page: str, next_url: str, error: str = "", status: int = 200):
    # Her name is not on this page: the reason comes before anything that identifies her.
    return render(request, "console/glass.html", {
        "member_pk": member_pk, "page": page, "next": next_url, "error": error,
    }, status=status)


def _safe_next(request, url: str) -> str:
    ok = url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False)
    return url if ok and url.startswith("/") else ""


@console_view(read=ALL_ROLES, write=ALL_ROLES, reading=True)
def glass(request: HttpRequest, pk: int) -> HttpResponse:
    """閲覧理由の入力: GET shows the prompt (from a masked search row), POST keeps the reason and goes on. The
    reason is recorded by the page it opens (protected.viewed), or here for a search that then shows her."""
    member = member_for(request.user, pk)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", "")) or (
        f"/members/{member.pk}/")
    page = request.POST.get("page") or request.GET.get("page") or SEARCH_PAGE
    if request.method == "GET":
        return _prompt(request, member_pk=member.pk, page=page, next_url=next_url)
    try:
        reason = access_log.clean_reason(request.POST.get("reason", ""))
    except ValidationError as exc:
        return _prompt(request, member_pk=member.pk, page=page, next_url=next_url, error=exc.messages[0], status=400)
    access_log.grant(request.session, member.pk, reason)
    if page == SEARCH_PAGE:
        # Back to the search, which now shows her unmasked: this is the access.
        access_log.record_access(actor=request.user, member=member, channel=f"{page}（理由を入力して表示）",
                                 reason=reason, in_charge=False)
    return redirect(next_url)


@console_view(write=SUPERVISORS)
def case_staff(request: HttpRequest, pk: int) -> HttpResponse:
    """担当の追加・削除 (責任者, from the case page; audited)."""
    case = case_for(request.user, pk)
    staff = Staff.objects.filter(institution_id=request.user.institution_id,
                                 pk=request.POST.get("staff") if str(request.POST.get("staff", "")).isdigit() else None
                                 ).first()
    try:
        if request.POST.get("op") == "remove":
            access_log.remove_case_staff(actor=request.user, case=case, staff=staff)
            messages.success(request, f"{staff}を担当から外しました。")
        else:
            access_log.add_case_staff(actor=request.user, case=case, staff=staff)
            messages.success(request, f"{staff}を担当に追加しました。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("console:case_detail", pk=case.pk)
