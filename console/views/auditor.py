"""監査者: the audit trail, filterable; reading it is itself audited."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import selectors
from console.access import AUDITORS, console_view
from console.forms import AuditFilterForm
from console.services import record_audit_read
from console.views.common import paginate


@console_view(read=AUDITORS)
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, actions=selectors.audit_action_choices(request.user))
    valid = not form.is_bound or form.is_valid()
    filters = form.cleaned_data if form.is_bound and valid else {}
    rows = selectors.audit_entries(request.user, **filters) if valid else selectors.audit_entries(request.user).none()
    page = paginate(request, rows)
    for entry in page.object_list:
        entry.action_label = selectors.action_label(entry.action)
    record_audit_read(
        actor=request.user, action="audit.trail_viewed",
        filters={k: str(v) for k, v in filters.items() if v}, count=page.paginator.count,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "console/audit_trail.html", {"form": form, "page": page, "query": query.urlencode()})
