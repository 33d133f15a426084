"""One JSON error body for the whole API: {"code", "message" (Japanese), "fields"}.

Django's ValidationError / PermissionDenied / Http404, DRF's exceptions, the choke point's ExchangeNotSent (InquiryNotSent, ProvisionNotSent) and the
simulated portal's SignInRefused all end here, so a client sees one shape whatever failed — an unexpected exception
too (500 `server_error`, logged with its traceback; the act it interrupted rolled back). Errors raised outside a view
(middleware, URL resolution) under /api/ get the same body from `server_error` (handler500 in nakama/urls.py).
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from exchanges.services import ExchangeNotSent
from nakama.outage import RETRY_AFTER_SECONDS, is_database_outage
from portal_sim.services import SignInRefused

# Japanese messages for DRF's and knox's own exceptions (knox ships no Japanese catalogue).
_MESSAGES = {
    exceptions.NotAuthenticated: ("not_authenticated", "認証トークンがありません。Authorization: Token <トークン> を付けてください。"),
    exceptions.AuthenticationFailed: ("authentication_failed", "認証トークンが正しくないか、失効しています。"),
    exceptions.NotFound: ("not_found", "見つかりません。"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "このメソッドは使用できません。"),
    exceptions.NotAcceptable: ("not_acceptable", "要求された形式では応答できません。"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "リクエストの形式（Content-Type）に対応していません。"),
    exceptions.ParseError: ("parse_error", "リクエストの本文を解析できません。"),
    exceptions.Throttled: ("throttled", "リクエストが多すぎます。時間をおいて再度お試しください。"),
}


logger = logging.getLogger("api")

SERVER_ERROR = ("server_error", "サーバーで予期しないエラーが発生しました。時間をおいて再度お試しください。")
# The database is away (failover, restart): nothing was done or the act's commit is in doubt; a client retries with
# the same Idempotency-Key and gets either the stored answer or a single new act (docs/operations.md, failover).
DATABASE_UNAVAILABLE = ("database_unavailable",
                        "データベースに接続できません（切替中の可能性があります）。同じ Idempotency-Key で時間をおいて再度お試しください。")

# Service refusals that depend on the object's current state, not on the body: 409 Conflict.
CONFLICT_CODES = {
    "already_processed", "already_decided", "already_cleared", "pending_exists", "duplicate", "four_eyes",
    "already_appended", "append_request_exists", "open_case_exists", "settings_in_force", "card_procedures_incomplete", "already_closed",
    "case_closed",
}


class ApiError(exceptions.APIException):
    """An error whose code, Japanese message and fields the view chooses (e.g. the bulk row that failed)."""

    def __init__(self, *, code: str, message: str, fields: dict | None = None, status_code: int = 400,
                 extra: dict | None = None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}  # further keys of the body, e.g. open_case (documented in api.schema)


def _validation_fields(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
    return {}


def _body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def hostile_request(exc: Exception) -> tuple[int, str, str] | None:
    """(status, code, Japanese message) for what Django refuses while reading a request (a SuspiciousOperation:
    a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or files, a forged Host): a 4xx, never a 500."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return 413, "request_too_large", f"リクエストの本文が大きすぎます（上限 {limit:,} バイト）。"
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return 400, "too_many_fields", f"送信された項目が多すぎます（上限 {limit:,} 項目）。"
    if isinstance(exc, SuspiciousOperation):
        return 400, "bad_request", "リクエストを受け付けできません。"
    return None


def exception_handler(exc, context):
    refused = hostile_request(exc)
    if refused:
        http_status, code, message = refused
        return Response(_body(code, message), status=http_status)
    if isinstance(exc, ApiError):
        return Response({**_body(exc.error_code, exc.message, exc.fields), **exc.extra}, status=exc.status_code)
    if is_database_outage(exc):
        set_rollback()
        return _unavailable_response()
    if isinstance(exc, ExchangeNotSent):
        # Fail closed: the flag check could not be made, nothing was sent. 503 so a client retries later.
        return Response(_body(exc.code, exc.message), status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, SignInRefused):
        return Response(_body(exc.code, exc.message), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ValidationError):
        fields = _validation_fields(exc)
        if fields and set(fields) == {"__all__"}:
            fields = {"non_field_errors": fields["__all__"]}
        message = "入力内容に誤りがあります。" if fields else "；".join(exc.messages)
        code = getattr(exc, "code", None) or "invalid"
        if code == "not_found":
            return Response(_body("not_found", "見つかりません。"), status=status.HTTP_404_NOT_FOUND)
        http_status = status.HTTP_409_CONFLICT if code in CONFLICT_CODES else status.HTTP_400_BAD_REQUEST
        return Response(_body(code, message, fields), status=http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "この操作を行う権限がありません。")
    response = drf_exception_handler(exc, context)
    if response is None:
        # Anything else is a bug or an outage: log it, answer the JSON body (never Django's HTML page).
        request = context.get("request")
        logger.error("Unhandled API exception: %s %s", getattr(request, "method", "-"), getattr(request, "path", "-"),
                     exc_info=(type(exc), exc, exc.__traceback__))
        set_rollback()  # under ATOMIC_REQUESTS too, nothing of a failed request is kept
        return Response(_body(*SERVER_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        detail = response.data
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = _body("invalid", "入力内容に誤りがあります。", fields)
        return response
    if isinstance(exc, exceptions.AuthenticationFailed) and exc.get_codes() == "token_not_own":
        response.data = _body("token_not_own", str(exc.detail))  # api.auth: whose token it is, in Japanese
        return response
    for cls, (code, message) in _MESSAGES.items():
        if isinstance(exc, cls):
            response.data = _body(code, message)
            return response
    if isinstance(exc, exceptions.PermissionDenied):
        detail = str(exc.detail)
        is_default = detail == str(exceptions.PermissionDenied.default_detail)
        response.data = _body("permission_denied", "この操作を行う権限がありません。" if is_default else detail)
        return response
    response.data = _body(getattr(exc, "default_code", "error"), str(getattr(exc, "detail", exc)))
    return response


def _unavailable_response() -> Response:
    return Response(_body(*DATABASE_UNAVAILABLE), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def bad_request(request, exception=None, *args, **kwargs):
    """handler400: what Django refused outside a DRF view (middleware reading the body, a forged Host). Under /api/
    the JSON error body; elsewhere a Japanese page. A body over the size limit is 413 (Django's own answer is 400)."""
    http_status, code, message = hostile_request(exception) or (400, "bad_request", "リクエストを受け付けできません。")
    if request.path.startswith("/api/"):
        return JsonResponse(_body(code, message), status=http_status, json_dumps_params={"ensure_ascii": False})
    return render(request, "400.html", {"message": message}, status=http_status)


def server_error(request, *args, **kwargs):
    """handler500: the JSON error body under /api/ (an exception outside a DRF view), Django's page elsewhere.

    An exception raised because the database is away (in middleware, authentication or a view) is a 503 with
    Retry-After, not a 500: the JSON body under /api/, a Japanese page in the console and the portal."""
    outage = is_database_outage(sys.exc_info()[1])
    if request.path.startswith("/api/"):
        if outage:
            response = JsonResponse(_body(*DATABASE_UNAVAILABLE), status=503, json_dumps_params={"ensure_ascii": False})
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return JsonResponse(_body(*SERVER_ERROR), status=500, json_dumps_params={"ensure_ascii": False})
    if outage:
        from django.http import HttpResponse

        response = HttpResponse(loader.get_template("503.html").render({}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request, *args, **kwargs)
