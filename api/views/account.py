"""The caller's own account and token; the audit trail (監査者 only)."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from api.pagination import AuditCursor
from api.permissions import IsAuditor
from api.schema import error, read_responses
from api.serializers import AuditEntryOut
from api.services import revoke_token
from api.views.common import ApiView, ScopedReadOnlyViewSet
from audit.models import AuditEntry


class AnyInsurerStaff(BasePermission):
    """Every role, for reads and writes of the caller's own token."""

    message = "保険者の職員のみ利用できます。"

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_insurer_staff", False) and request.user.is_active)


class MeView(ApiView):
    permission_classes = [AnyInsurerStaff]
    throttle_scope = "token"  # settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    class Output(serializers.Serializer):
        username = serializers.CharField(help_text="ユーザー名")
        display_name = serializers.CharField(help_text="氏名")
        institution = serializers.CharField(source="institution.name", help_text="保険者名")
        department = serializers.CharField(source="department.name", allow_null=True, default=None, help_text="部署名")
        role = serializers.CharField(help_text="役割: clerk=担当者, supervisor=責任者, auditor=監査者")
        role_label = serializers.CharField(source="get_role_display", help_text="役割（日本語）")

    @extend_schema(summary="トークンの持ち主（職員・保険者・役割）", responses=read_responses(Output), tags=["トークン"])
    def get(self, request):
        return Response(self.Output(request.user).data)


class RevokeTokenView(ApiView):
    """使用中のトークンを失効させる（以後このトークンでは 401）."""

    permission_classes = [AnyInsurerStaff]
    throttle_scope = "token"

    @extend_schema(summary="トークンの失効", request=None,
                   responses={204: OpenApiResponse(description="失効しました"), 401: error(401), 403: error(403)},
                   tags=["トークン"])
    def post(self, request):
        revoke_token(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action", help_text="操作（例: setting.set, protected.viewed）")
    target_type = django_filters.CharFilter(field_name="target_type", help_text="対象種別（例: members.Member）")
    target_id = django_filters.CharFilter(field_name="target_id", help_text="対象ID")

    class Meta:
        model = AuditEntry
        fields = ["action", "target_type", "target_id"]


@extend_schema_view(
    list=extend_schema(summary="監査証跡の一覧（監査者のみ）", responses=read_responses(AuditEntryOut(many=True)),
                       tags=["監査証跡"]),
    retrieve=extend_schema(summary="監査証跡の参照（監査者のみ）", responses=read_responses(AuditEntryOut),
                           tags=["監査証跡"]),
)
class AuditViewSet(ScopedReadOnlyViewSet):
    permission_classes = [IsAuditor]
    serializer_class = AuditEntryOut
    pagination_class = AuditCursor
    filterset_class = AuditFilter

    def get_queryset(self):
        return AuditEntry.objects.visible_to(self.request.user)
