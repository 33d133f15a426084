"""Pages of the simulated マイナポータル, and the staff preview of what a protected person's card shows.

The portal has its own sign-in, kept in the session under PORTAL_CARD_KEY. It is independent of the staff
login: a staff session does not open the portal, a portal session does not open the console (Django auth is
never called here).
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flags import access_log
from flags.links import record_links_viewed
from nakama.routers import replica_reads
from portal_sim import selectors, services
from portal_sim.forms import NameProxyForm, SignInForm
from portal_sim.selectors import PortalViewer

PORTAL_CARD_KEY = "portal_sim.card_id"  # the signed-in card (its holder is the person)
# A principal chosen by the holder acting as 代理人; re-checked against active proxies on every request.
PORTAL_ACTING_FOR_KEY = "portal_sim.acting_for"


def _forget(request: HttpRequest) -> None:
    for key in (PORTAL_CARD_KEY, PORTAL_ACTING_FOR_KEY):
        request.session.pop(key, None)


def _not_found(request: HttpRequest) -> HttpResponse:
    """The one refusal for an id that is not one's own principal: the same page whether or not the id exists."""
    return render(request, "portal_sim/not_found.html", {"viewer": getattr(request, "portal", None)}, status=404)


def portal_login_required(view):
    """Loads request.portal (a PortalViewer) from the portal session; sends anyone else to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        card_id = request.session.get(PORTAL_CARD_KEY)
        card = selectors.usable_card(card_id)
        if card is None:
            if card_id is not None:
                # Suspended, locked or replaced while signed in: the session ends with the card.
                _forget(request)
                messages.error(request, "カードが利用できなくなったため、ログアウトしました。")
            return redirect("portal_sim:login")
        subject = card.person
        acting_for = request.session.get(PORTAL_ACTING_FOR_KEY)
        if acting_for is not None:
            principal = selectors.principal_for(agent=card.person, person_id=acting_for)
            if principal is None:
                # The principal removed the proxy meanwhile: back to one's own portal.
                request.session.pop(PORTAL_ACTING_FOR_KEY, None)
                messages.info(request, "代理人としての表示を終了しました。")
                return redirect("portal_sim:index")
            subject = principal
        request.portal = PortalViewer(card=card, holder=card.person, subject=subject)
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            card = services.sign_in(card_number=form.cleaned_data["card_number"], pin=form.cleaned_data["pin"])
        except services.SignInRefused as refusal:
            error = refusal.message
        else:
            request.session.cycle_key()  # a new session id at sign-in (no fixation)
            request.session[PORTAL_CARD_KEY] = card.pk
            request.session.pop(PORTAL_ACTING_FOR_KEY, None)
            return redirect("portal_sim:index")
    return render(request, "portal_sim/sign_in.html", {"form": form, "error": error})


@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _forget(request)
        request.session.cycle_key()
        messages.info(request, "ログアウトしました。")
        return redirect("portal_sim:login")
    viewer = selectors.usable_card(request.session.get(PORTAL_CARD_KEY))
    if viewer is None:
        return redirect("portal_sim:login")
    return render(request, "portal_sim/sign_out.html", {})


@portal_login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal_sim/index.html", {"viewer": request.portal})


@portal_login_required
def self_info(request: HttpRequest) -> HttpResponse:
    """あなたの情報 (自己情報): no forms and no tokens, so a hidden and an absent answer give the same bytes."""
    with replica_reads():  # the card was checked on the primary; the data may come from a synchronous replica
        sections = selectors.self_info_sections(person=request.portal.subject)
    return render(request, "portal_sim/self_info.html", {"viewer": request.portal, "sections": sections})


@portal_login_required
def history(request: HttpRequest) -> HttpResponse:
    """やりとり履歴: the records rule 3 allows, newest first, without counts or ids; older ones behind a link."""
    with replica_reads():
        page = selectors.history(person=request.portal.subject, cursor=request.GET.get("before", ""))
    return render(request, "portal_sim/history.html", {
        "viewer": request.portal, "records": page.records, "next_cursor": page.next_cursor,
    })


def _proxies_page(request: HttpRequest, form: NameProxyForm | None = None, status: int = 200) -> HttpResponse:
    holder = request.portal.holder
    return render(
        request,
        "portal_sim/proxies.html",
        {
            "viewer": request.portal,
            "form": form or NameProxyForm(),
            # Always the signed-in holder's own settings, also while acting for a principal: only a principal
            # names or removes their proxies.
            "my_proxies": selectors.active_proxies(holder),
            "principals": selectors.active_principals(holder),
        },
        status=status,
    )


@portal_login_required
def proxies(request: HttpRequest) -> HttpResponse:
    return _proxies_page(request)


@portal_login_required
@require_POST
def proxy_name(request: HttpRequest) -> HttpResponse:
    form = NameProxyForm(request.POST)
    if form.is_valid():
        agent = selectors.person_by_sim_id(form.cleaned_data["sim_id"])
        if agent is None:
            form.add_error("sim_id", "入力された個人識別子に該当する方が見つかりません。")
        else:
            try:
                services.name_proxy(principal=request.portal.holder, agent=agent)
            except ValidationError as exc:
                form.add_error("sim_id", exc.messages[0])
            else:
                messages.success(request, f"{agent.name} さんを代理人に設定しました。")
                return redirect("portal_sim:proxies")
    return _proxies_page(request, form=form, status=400)


@portal_login_required
@require_POST
def proxy_remove(request: HttpRequest) -> HttpResponse:
    # Looked up among the holder's own proxies only; the holder is always the principal here.
    wanted = request.POST.get("agent")
    agent = next((p.agent for p in selectors.active_proxies(request.portal.holder) if p.agent.sim_id == wanted), None)
    if agent is None:
        return _not_found(request)
    services.remove_proxy(principal=request.portal.holder, agent=agent)
    messages.success(request, f"{agent.name} さんの代理人設定を解除しました。")
    return redirect("portal_sim:proxies")


@portal_login_required
@require_POST
def act_for(request: HttpRequest, person_id: int) -> HttpResponse:
    """Switch to a principal's portal: only someone who named the signed-in holder as proxy; anyone else 404s."""
    principal = selectors.principal_for(agent=request.portal.holder, person_id=person_id)
    if principal is None:
        return _not_found(request)
    request.session[PORTAL_ACTING_FOR_KEY] = principal.pk
    return redirect("portal_sim:index")


@portal_login_required
@require_POST
def act_self(request: HttpRequest) -> HttpResponse:
    request.session.pop(PORTAL_ACTING_FOR_KEY, None)
    return redirect("portal_sim:index")


PREVIEW_PAGE = "マイナポータル表示の確認（職員用プレビュー）"


@login_required
@require_GET
def staff_preview(request: HttpRequest, case_pk: int) -> HttpResponse:
    """「加害者から見える内容」: read-only, the same selectors and templates as the portal. Audited on every use."""
    case = selectors.case_for_preview(user=request.user, case_pk=case_pk)
    if case is None:
        return render(request, "portal_sim/staff_not_found.html", status=404)
    # Issue 17: staff who are not 担当 give a reason first (the console's prompt), kept on the access entry.
    in_charge = not access_log.needs_reason(request.user, case.member, case=case)
    reason = "" if in_charge else access_log.granted_reason(request.session, case.member_id)
    if not in_charge and not reason:
        query = urlencode({"page": PREVIEW_PAGE, "next": request.get_full_path()})
        return redirect(f"{reverse('console:glass', kwargs={'pk': case.member_id})}?{query}")
    with transaction.atomic():
        services.record_staff_preview(actor=request.user, case=case)
        access_log.record_access(actor=request.user, member=case.member, channel=PREVIEW_PAGE, reason=reason,
                                 in_charge=in_charge)
    person = case.member.person
    linked = selectors.linked_records_for_preview(user=request.user, case=case)
    if linked:
        record_links_viewed(actor=request.user, case=case, links=[p.link for p in linked], channel="職員用プレビュー")
    return render(
        request,
        "portal_sim/staff_preview.html",
        {
            "case": case,
            # Her portal as her card holder or proxy sees it, kept to this insurer's own part: staff of one
            # insurer never see another insurer's 副本 or records (SPEC, tenancy), even inside a preview.
            "sections": selectors.self_info_sections(person=person, only_institution_id=case.institution_id),
            "records": selectors.history(person=person, only_institution_id=case.institution_id).records,
            "card_status": selectors.card_status(person),
            "linked": linked,
        },
    )
