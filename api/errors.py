"""One JSON error body for the whole API: {"code", "message" (Japanese), "fields"}."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _validation_fields(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
    return {}


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        fields = _validation_fields(exc)
        message = "入力内容に誤りがあります。" if fields else "；".join(exc.messages)
        code = getattr(exc, "code", None) or "invalid"
        return Response({"code": code, "message": message, "fields": fields}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("見つかりません。")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "この操作を行う権限がありません。")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        message = "入力内容に誤りがあります。"
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        code = "invalid"
    else:
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        code = getattr(exc, "default_code", "error")
    response.data = {"code": code, "message": message, "fields": fields}
    return response
