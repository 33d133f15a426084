from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import selectors
from console.access import ALL_ROLES, console_view
from exchanges.selectors import pending_appends_for
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase
from institutions.models import Role


@console_view(read=ALL_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "open_cases": ProtectionCase.objects.visible_to(user).filter(closed_at__isnull=True).count(),
        "manual_count": len(selectors.manual_queue(user)),
        "pending_appends": pending_appends_for(user, filed_by_user=user.role == Role.CLERK),
        "pending_clearing": ClearingRequest.objects.visible_to(user).filter(state=ClearingRequestState.PENDING).count(),
    }
    return render(request, "console/home.html", context)
