"""Small helpers every /api/v1/ view uses: the scoped 404 lookup, the audit of protected reads and the API's
break-the-glass grants."""

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import viewsets
from rest_framework.views import APIView

from api.permissions import IsInsurerStaff
from api.schema import NakamaAutoSchema
from api.services import record_protected_views
from flags import access_log


def granted_over_api(request):
    """The API's break-the-glass grants: reasons this staff member gave since his token was made (the token is the
    API's sign-in, as the session is the console's), read back from the access log."""
    since = getattr(request.auth, "created", None)
    if since is None:
        return lambda member_ids: set()
    return access_log.granted_in_log(request.user, since=since)


def get_scoped(queryset, **lookup):
    """One object from a scoped queryset (the caller's insurer), or 404: never 403, which would confirm it exists.
    A malformed id (not a number, not a UUID) is a 404 too."""
    try:
        obj = queryset.filter(**lookup).first()
    except (ValueError, TypeError, ValidationError):
        raise Http404 from None
    if obj is None:
        raise Http404
    return obj


class RefuseControlCharactersInUrl:
    """Query strings and path parts checked like bodies (api/parsers.py), after authentication and permissions."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        from api.parsers import refuse_control_characters

        refuse_control_characters(request.query_params, multiline=False)
        refuse_control_characters(kwargs, multiline=False)


class ApiView(RefuseControlCharactersInUrl, APIView):
    """Base of every one-operation view of the API."""

    permission_classes = [IsInsurerStaff]
    schema = NakamaAutoSchema()


class ScopedReadOnlyViewSet(RefuseControlCharactersInUrl, viewsets.ReadOnlyModelViewSet):
    """List and read, starting from the scoped selector; reads touching a protected person are audited."""

    permission_classes = [IsInsurerStaff]
    schema = NakamaAutoSchema()

    def person_ids_of(self, objects) -> list[int]:
        """Persons whose data the response shows; overridden per resource."""
        return []

    def shown(self, objects) -> None:
        """Called once per list page or detail, before its answer is built: the protected persons shown are
        recorded. A resource that needs more before answering (the cases: masking, one audit INSERT) overrides it."""
        record_protected_views(actor=self.request.user, person_ids=self.person_ids_of(objects), via=self.request.path)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        self.shown(page)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        self.shown([self.get_object()])
        return super().retrieve(request, *args, **kwargs)

    def get_object(self):
        if not hasattr(self, "_object"):
            self._object = super().get_object()
        return self._object


def valid(serializer_class, request) -> dict:
    """The validated body, or a 400 with the field errors."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@csrf_exempt  # the API authenticates by token, never by the console's session: no HTML CSRF page under /api/
def not_found(request, *args, **kwargs):
    """Unknown paths under /api/: the same JSON error body as every other error."""
    return JsonResponse({"code": "not_found", "message": "見つかりません。", "fields": {}}, status=404,
                        json_dumps_params={"ensure_ascii": False})
