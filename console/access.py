"""Who may open which console page, and the only way console views fetch a single object.

Roles (the customer's design): 担当者 (clerk) works cases, settings, inquiries and the manual-response queue;
責任者 (supervisor) also approves clearing, manages staff and sees the dashboard; 監査者 (auditor) reads everything
of the insurer and changes nothing. A page declares which roles may read it (GET) and which may act on it (POST);
anything else is 403. An object of another insurer is 404, never 403, so its existence is not confirmed.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render

from exchanges.models import ExchangeRecord
from flags.models import CaseLinkedPerson, ClearingRequest, LinkRemovalRequest, ProtectionCase, Setting
from institutions.models import Role, RoleGrantRequest, Staff
from members.models import Member

CLERK, SUPERVISOR, AUDITOR = Role.CLERK.value, Role.SUPERVISOR.value, Role.AUDITOR.value
ALL_ROLES = frozenset({CLERK, SUPERVISOR, AUDITOR})
CHANGERS = frozenset({CLERK, SUPERVISOR})
SUPERVISORS = frozenset({SUPERVISOR})
AUDITORS = frozenset({AUDITOR})
OVERSEERS = frozenset({SUPERVISOR, AUDITOR})


def console_view(
    *, read: Iterable[str] = (), write: Iterable[str] = (), own_account: bool = False, reading: bool = False
) -> Callable:
    """Decorate a console view: sign-in required, insurer staff only, GET/HEAD for `read`, POST for `write`.

    An auditor's POST is refused with 403 everywhere (they change nothing of the insurer's), except on a page that
    changes only the caller's own account (`own_account`: the 表示設定, e.g. 和暦 or 西暦) or only records why the
    caller reads (`reading`: the break-the-glass reason).
    """
    read_roles, write_roles = frozenset(read), frozenset(write)
    assert own_account or reading or not (write_roles & AUDITORS), "監査者は変更できない"

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not getattr(user, "is_insurer_staff", False):
                return _refused(request, "職員コンソールは保険者の職員のみ利用できます。")
            if request.method in ("GET", "HEAD"):
                allowed = read_roles
            elif request.method == "POST":
                allowed = write_roles
            else:
                return HttpResponseNotAllowed(["GET", "POST"])
            if user.role not in allowed:
                return _refused(request, "この画面・操作を行う権限がありません。")
            try:
                return view(request, *args, **kwargs)
            except Http404:
                # Same page whether the object does not exist or belongs to another insurer.
                return render(request, "console/not_found.html", status=404)
            except PermissionDenied as exc:
                return _refused(request, str(exc) or "この画面・操作を行う権限がありません。")

        wrapper.console_read_roles = read_roles  # for documentation and the permission test's sanity check
        wrapper.console_write_roles = write_roles
        return wrapper

    return decorator


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "console/forbidden.html", {"message": message}, status=403)


# Single objects: always through the caller's scope, so another insurer's object is simply not found (404).


def member_for(user, pk) -> Member:
    return get_object_or_404(Member.objects.visible_to(user).select_related("person", "insurer"), pk=pk)


def case_for(user, pk) -> ProtectionCase:
    return get_object_or_404(
        ProtectionCase.objects.visible_to(user).select_related("member", "member__person"), pk=pk
    )


def link_for(user, pk) -> CaseLinkedPerson:
    return get_object_or_404(CaseLinkedPerson.objects.visible_to(user).select_related("case", "person"), pk=pk)


def link_removal_for(user, pk) -> LinkRemovalRequest:
    return get_object_or_404(
        LinkRemovalRequest.objects.visible_to(user).select_related("link", "link__case", "link__person"), pk=pk
    )


def setting_for(user, pk) -> Setting:
    return get_object_or_404(Setting.objects.visible_to(user).filter(member__isnull=False), pk=pk)


def clearing_request_for(user, pk) -> ClearingRequest:
    return get_object_or_404(ClearingRequest.objects.visible_to(user).select_related("setting"), pk=pk)


def record_for(user, pk) -> ExchangeRecord:
    qs = ExchangeRecord.objects.visible_to(user).select_related(
        "inquirer", "provider", "procedure", "item", "subject", "inquired_by", "inquiry_code_by",
        "provision_code_by", "responded_by",
    )
    try:
        return qs.by_id(pk).get()
    except (ExchangeRecord.DoesNotExist, ValueError, ValidationError):
        raise Http404("記録が見つかりません。") from None


def queued_record_for(user, pk) -> ExchangeRecord:
    """A record waiting in (or answered from) the caller's insurer's manual-response queue: we are the provider."""
    record = record_for(user, pk)
    if record.provider_id != user.institution_id:
        raise Http404("対象の照会が見つかりません。")
    return record


def staff_for(user, pk) -> Staff:
    if not getattr(user, "institution_id", None):
        raise Http404("職員が見つかりません。")
    return get_object_or_404(Staff.objects.filter(institution_id=user.institution_id).select_related("department"), pk=pk)


def role_grant_for(user, pk) -> RoleGrantRequest:
    return get_object_or_404(RoleGrantRequest.objects.visible_to(user).select_related("department", "staff"), pk=pk)
