"""不開示該当フラグ等の設定: list, read, set, and the settings CSV — all through flags.services."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.pagination import SettingCursor
from api.permissions import IsInsurerStaff, IsSupervisor
from api.schema import error, read_responses, write_responses
from api.serializers import (
    SettingOut,
)
from api.views.common import ApiView, ScopedReadOnlyViewSet, valid
from api.views.lookups import own_member
from flagcsv.export import Encoding, StateFilter
from flagcsv.views import streamed_download
from flags.models import (
    Setting,
    SettingSource,
)
from flags.policy import SETTING_LABELS, SettingKind
from flags.services import (
    set_setting,
)
from members.models import InfoItem

SETTING_KIND_CHOICES = [(k.value, SETTING_LABELS[k]) for k in SettingKind]
KIND_HELP = "設定種別: non_disclosure=不開示該当フラグ, no_self_info=自己情報提供不可フラグ, no_auto_response=自動応答不可フラグ"


class SettingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SETTING_KIND_CHOICES, help_text=KIND_HELP)
    active = django_filters.BooleanFilter(field_name="cleared_at", lookup_expr="isnull", help_text="true: 設定中のみ")
    member = django_filters.CharFilter(field_name="member__branch_number", help_text="被保険者枝番")

    class Meta:
        model = Setting
        fields = ["kind", "active", "member"]


@extend_schema_view(
    list=extend_schema(summary="設定の一覧", responses=read_responses(SettingOut(many=True)), tags=["設定"]),
    retrieve=extend_schema(summary="設定の参照", responses=read_responses(SettingOut), tags=["設定"]),
)
class SettingViewSet(ScopedReadOnlyViewSet):
    serializer_class = SettingOut
    pagination_class = SettingCursor
    filterset_class = SettingFilter

    def get_queryset(self):
        return Setting.objects.visible_to(self.request.user).filter(member__isnull=False).select_related("member", "item")

    def person_ids_of(self, objects):
        return [s.person_id for s in objects]


class SetSettingView(ApiView):
    """設定: 被保険者に不開示該当・自己情報提供不可・自動応答不可を、全体または特定個人情報単位で設定する."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        member = serializers.CharField(max_length=20, help_text="被保険者枝番")
        kind = serializers.ChoiceField(choices=SETTING_KIND_CHOICES, help_text=KIND_HELP)
        item = serializers.SlugRelatedField(
            slug_field="code", queryset=InfoItem.objects.all(), required=False, allow_null=True,
            help_text="特定個人情報単位で設定する場合のコード（省略・null は被保険者枝番単位＝全体）",
        )
        reason = serializers.CharField(max_length=2000, help_text="設定理由")

    @extend_schema(summary="設定", request=Input, responses=write_responses(SettingOut, status=201, extra=(409,)),
                   tags=["設定"])
    def post(self, request):
        data = valid(self.Input, request)
        member = own_member(request.user, data["member"], field="member")
        setting = set_setting(actor=request.user, member=member, kind=data["kind"], reason=data["reason"],
                              item=data.get("item"), source=SettingSource.API)
        return Response(SettingOut(setting).data, status=status.HTTP_201_CREATED)


class SettingsCsvView(ApiView):
    """GET /api/v1/settings/export/: the settings CSV (renewal ③), streamed, the same file and audit entry as the
    console's download. 責任者 only."""

    class SupervisorOnly(IsSupervisor):
        def has_permission(self, request, view) -> bool:
            allowed = super().has_permission(request, view)
            if not allowed and getattr(request.user, "is_insurer_staff", False):
                self.message = "設定状況のCSV出力は責任者のみが行えます。"
            return allowed

    permission_classes = [SupervisorOnly]

    class Query(serializers.Serializer):
        encoding = serializers.ChoiceField(
            choices=Encoding.CHOICES, default=Encoding.UTF8_BOM,
            help_text="文字コード: utf-8-sig=UTF-8（BOM付き）, cp932=Shift_JIS（Excel向け。表せない文字は〓に置換し行を報告）",
        )
        kind = serializers.ChoiceField(choices=[("", "すべて"), *SETTING_KIND_CHOICES], required=False, default="",
                                       help_text=KIND_HELP)
        state = serializers.ChoiceField(choices=StateFilter.CHOICES, required=False, default="",
                                        help_text="状態: active=設定中, cleared=解除済, 空欄=すべて")

    @extend_schema(
        summary="設定状況のCSV出力（ストリーミング）",
        parameters=[Query],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="1行1設定のCSV（行数を数えずに直ちに送信開始）。cp932で置き換えた行はファイル末尾の注記行と監査証跡に記録。",
            ),
            **{code: error(code) for code in (400, 401, 403)},
        },
        tags=["設定"],
    )
    def get(self, request):
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        return streamed_download(request.user, query.validated_data)
