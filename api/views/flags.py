"""不開示該当フラグ等の設定, 解除依頼 (four eyes), 設定対象者 — all through flags.services."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.idempotency import idempotent
from api.pagination import CaseCursor, ClearingCursor, SettingCursor
from api.permissions import IsInsurerStaff, IsSupervisor
from api.schema import error, id_param, read_responses, write_responses
from api.serializers import ClearingRequestOut, ProtectionCaseOut, SettingOut
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, valid
from flagcsv.export import Encoding, StateFilter
from flagcsv.views import streamed_download
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase, Setting, SettingSource
from flags.policy import SETTING_LABELS, SettingKind
from flags.services import (
    CHECKLIST_FIELDS,
    decide_clearing,
    open_protection_case,
    request_clearing,
    set_setting,
    update_case_checklist,
)
from members.models import InfoItem, Member, Person

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
        member = _own_member(request.user, data["member"], field="member")
        setting = set_setting(actor=request.user, member=member, kind=data["kind"], reason=data["reason"],
                              item=data.get("item"), source=SettingSource.API)
        return Response(SettingOut(setting).data, status=status.HTTP_201_CREATED)


class RequestClearingView(ApiView):
    """解除依頼: 設定は、依頼者と別の責任者が承認するまで有効のまま."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, help_text="解除理由（例: カード停止等手続の完了を確認）")

    @extend_schema(summary="解除依頼", request=Input, parameters=[id_param("設定ID")],
                   responses=write_responses(ClearingRequestOut, status=201, extra=(409,)), tags=["設定"])
    def post(self, request, pk: str):
        setting = get_scoped(Setting.objects.visible_to(request.user).filter(member__isnull=False), pk=pk)
        data = valid(self.Input, request)
        clearing = request_clearing(actor=request.user, setting=setting, reason=data["reason"])
        return Response(ClearingRequestOut(clearing).data, status=status.HTTP_201_CREATED)


class ClearingFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ClearingRequestState.choices, help_text="状態")

    class Meta:
        model = ClearingRequest
        fields = ["state"]


@extend_schema_view(
    list=extend_schema(summary="解除依頼の一覧", responses=read_responses(ClearingRequestOut(many=True)), tags=["設定"]),
    retrieve=extend_schema(summary="解除依頼の参照", responses=read_responses(ClearingRequestOut), tags=["設定"]),
)
class ClearingRequestViewSet(ScopedReadOnlyViewSet):
    serializer_class = ClearingRequestOut
    pagination_class = ClearingCursor
    filterset_class = ClearingFilter

    def get_queryset(self):
        return ClearingRequest.objects.visible_to(self.request.user).select_related("setting")

    def person_ids_of(self, objects):
        return [c.setting.person_id for c in objects]


class DecideClearingView(ApiView):
    """解除の承認・却下（責任者のみ。依頼した本人は承認できない）."""

    permission_classes = [IsSupervisor]

    class Input(serializers.Serializer):
        approve = serializers.BooleanField(help_text="true: 承認（設定を解除）, false: 却下")
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                     help_text="承認・却下メモ")

    @extend_schema(summary="解除の承認・却下", request=Input, parameters=[id_param("解除依頼ID")],
                   responses=write_responses(ClearingRequestOut, extra=(409, 422)), tags=["設定"])
    @idempotent
    def post(self, request, pk: str):
        clearing = get_scoped(ClearingRequest.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        clearing = decide_clearing(actor=request.user, clearing_request=clearing, approve=data["approve"],
                                   note=data["note"])
        return Response(ClearingRequestOut(clearing).data)


@extend_schema_view(
    list=extend_schema(summary="設定対象者の一覧", responses=read_responses(ProtectionCaseOut(many=True)),
                       tags=["設定対象者"]),
    retrieve=extend_schema(summary="設定対象者の参照", responses=read_responses(ProtectionCaseOut), tags=["設定対象者"]),
)
class ProtectionCaseViewSet(ScopedReadOnlyViewSet):
    serializer_class = ProtectionCaseOut
    pagination_class = CaseCursor

    def get_queryset(self):
        return ProtectionCase.objects.visible_to(self.request.user).select_related("member", "abuser")

    def person_ids_of(self, objects):
        return [c.member.person_id for c in objects]


class OpenCaseView(ApiView):
    """設定対象者の登録（別紙2 §2–3）。必要な設定を同時に行う."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        member = serializers.CharField(max_length=20, help_text="被保険者枝番")
        victim_confirmed = serializers.BooleanField(help_text="ア DV・虐待等被害者である（確認済）")
        fled_confirmed = serializers.BooleanField(help_text="イ 加害者の下から避難している（確認済）")
        requested_by_person = serializers.BooleanField(help_text="ウ 本人からの申出あり")
        need_evident = serializers.BooleanField(default=False, help_text="申出はないが設定を要することが明らか")
        request_date = serializers.DateField(required=False, allow_null=True, help_text="申出日")
        case_card_or_proxy = serializers.BooleanField(default=False,
                                                      help_text="ケース① カードが加害者の手元にある／加害者が代理人")
        case_inquiry_about_abuser = serializers.BooleanField(default=False, help_text="ケース② 加害者に係る情報照会を行う")
        wants_non_disclosure = serializers.BooleanField(default=True, help_text="不開示該当フラグを設定する")
        wants_no_self_info = serializers.BooleanField(default=False, help_text="自己情報提供不可フラグを設定する")
        no_auto_response_wanted = serializers.BooleanField(default=False,
                                                           help_text="自動応答を望まない（自動応答不可フラグ）")
        abuser_sim_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                              help_text="加害者（被保険者でない個人）の個人識別子")
        notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="", help_text="備考")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="設定理由")

    @extend_schema(summary="設定対象者の登録", request=Input,
                   responses=write_responses(ProtectionCaseOut, status=201), tags=["設定対象者"])
    def post(self, request):
        data = valid(self.Input, request)
        member = _own_member(request.user, data.pop("member"), field="member")
        abuser_sim_id = data.pop("abuser_sim_id").strip().upper()
        abuser = None
        if abuser_sim_id:
            abuser = Person.objects.filter(sim_id=abuser_sim_id).first()
            if abuser is None:
                raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                               fields={"abuser_sim_id": ["入力された個人識別子に該当する個人が見つかりません。"]})
        case = open_protection_case(actor=request.user, member=member, abuser=abuser, source=SettingSource.API, **data)
        return Response(ProtectionCaseOut(case).data, status=status.HTTP_201_CREATED)


class CaseChecklistView(ApiView):
    """カード停止等手続のチェックリストの更新（フラグの解除は解除依頼で行う）."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        card_suspension_advised = serializers.BooleanField(required=False, help_text="カード停止を案内した")
        card_suspension_done = serializers.BooleanField(required=False, help_text="カード停止の完了を確認した")
        proxy_cancel_advised = serializers.BooleanField(required=False, help_text="代理人設定の解除を案内した")
        proxy_cancel_done = serializers.BooleanField(required=False, help_text="代理人設定の解除の完了を確認した")
        number_change_advised = serializers.BooleanField(required=False,
                                                         help_text="個人番号の変更・カード再交付を案内した")
        number_change_done = serializers.BooleanField(required=False,
                                                      help_text="個人番号の変更・カード再交付の完了を確認した")
        notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, help_text="備考")

    @extend_schema(summary="カード停止等手続の記録", request=Input, parameters=[id_param("設定対象者ID")], responses=write_responses(ProtectionCaseOut),
                   tags=["設定対象者"])
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        notes = data.pop("notes", None)
        checks = {k: v for k, v in data.items() if k in CHECKLIST_FIELDS}
        case = update_case_checklist(actor=request.user, case=case, notes=notes, **checks)
        return Response(ProtectionCaseOut(case).data)


def _own_member(user, branch_number: str, *, field: str) -> Member:
    """A member named in a body: unknown or another insurer's → 400 on that field (the same words either way)."""
    member = Member.objects.visible_to(user).filter(branch_number=branch_number).select_related("person").first()
    if member is None:
        raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                       fields={field: ["この被保険者枝番の被保険者は見つかりません。"]})
    return member


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
                description="1行1設定のCSV。X-Nakama-Row-Count と X-Nakama-Replaced-Row-Count ヘッダーに行数と置換行数。",
            ),
            **{code: error(code) for code in (400, 401, 403)},
        },
        tags=["設定"],
    )
    def get(self, request):
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        return streamed_download(request.user, query.validated_data)
