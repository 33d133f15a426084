from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import selectors
from console.access import ALL_ROLES, console_view
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase


@console_view(read=ALL_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "open_cases": ProtectionCase.objects.visible_to(user).filter(closed_at__isnull=True).count(),
        "manual_count": len(selectors.manual_queue(user)),
        "pending_clearing": ClearingRequest.objects.visible_to(user).filter(state=ClearingRequestState.PENDING).count(),
    }
    return render(request, "console/home.html", context)
