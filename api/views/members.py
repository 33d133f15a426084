"""被保険者: read and search, 加入, 資格喪失, 副本登録 (one and bulk)."""

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.pagination import MemberCursor
from api.permissions import IsInsurerStaff
from api.schema import read_responses, str_param, write_responses
from api.serializers import MemberOut, ReplicaOut, SettingOut
from api.services import BulkRowError, ReplicaRow, record_protected_views, register_replicas_bulk
from api.views.account import AnyInsurerStaff
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, granted_over_api, valid
from flags import access_log
from flags.models import Setting
from members.models import InfoItem, Member, Person, Replica
from members.services import enrol_member, record_loss, register_replica

MAX_BULK_ROWS = 20000


class MemberFilter(django_filters.FilterSet):
    kana = django_filters.CharFilter(field_name="kana", lookup_expr="startswith", help_text="カナ氏名（前方一致）")
    branch_number = django_filters.CharFilter(field_name="branch_number", help_text="被保険者枝番（完全一致）")
    symbol_number = django_filters.CharFilter(field_name="symbol_number", help_text="記号・番号（完全一致）")
    sim_id = django_filters.CharFilter(field_name="person__sim_id", help_text="個人識別子（完全一致）")
    current = django_filters.BooleanFilter(field_name="lost_on", lookup_expr="isnull", help_text="true: 資格喪失していない")

    class Meta:
        model = Member
        fields = ["kana", "branch_number", "symbol_number", "sim_id", "current"]


class MemberDetailOut(MemberOut):
    """被保険者の詳細: 設定中のフラグと最新の副本."""

    active_settings = serializers.SerializerMethodField(help_text="設定中の不開示該当フラグ等")
    latest_replicas = serializers.SerializerMethodField(help_text="特定個人情報ごとの最新の副本")

    masked_lists = ("active_settings", "latest_replicas")

    class Meta(MemberOut.Meta):
        fields = MemberOut.Meta.fields + ["active_settings", "latest_replicas"]

    @extend_schema_field(SettingOut(many=True))
    def get_active_settings(self, obj):
        rows = Setting.objects.active().filter(member=obj).select_related("item", "member")
        return SettingOut(rows, many=True).data

    @extend_schema_field(ReplicaOut(many=True))
    def get_latest_replicas(self, obj):
        seen, rows = set(), []
        for replica in Replica.objects.filter(member=obj).select_related("item").order_by(
            "item_id", "-registered_at", "-id"
        ):
            if replica.item_id not in seen:
                seen.add(replica.item_id)
                rows.append(replica)
        return ReplicaOut(rows, many=True).data


@extend_schema_view(
    list=extend_schema(summary="被保険者の検索", responses=read_responses(MemberOut(many=True)), tags=["被保険者"]),
    retrieve=extend_schema(summary="被保険者の参照", responses=read_responses(MemberDetailOut), tags=["被保険者"]),
)
class MemberViewSet(ScopedReadOnlyViewSet):
    lookup_field = "branch_number"
    lookup_value_regex = "[^/]+"
    pagination_class = MemberCursor
    filterset_class = MemberFilter

    def get_queryset(self):
        return Member.objects.visible_to(self.request.user).select_related("person")

    def get_serializer_class(self):
        return MemberDetailOut if self.action == "retrieve" else MemberOut

    def shown(self, objects) -> None:
        # Issue 17 ⑥: the name search's rule (flags.access_log), with the API's grants (reasons given under this
        # token); the protected members shown unmasked are recorded, the masked ones show nothing to record.
        objects = list(objects)
        self.masked = access_log.masked_member_ids(self.request.user, [m.pk for m in objects],
                                                   granted=granted_over_api(self.request))
        record_protected_views(actor=self.request.user, via=self.request.path,
                               person_ids=[m.person_id for m in objects if m.pk not in self.masked])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "masked": getattr(self, "masked", set())}

    def person_ids_of(self, objects):
        return [m.person_id for m in objects]


class MemberAccessReasonView(ApiView):
    """閲覧理由の入力（break the glass）: 担当でない職員が理由を1行で入力すると、以後このトークンでは被保険者の
    検索・参照で氏名等が表示される。理由は閲覧記録に残る。担当なら理由なしで表示される."""

    permission_classes = [AnyInsurerStaff]  # 監査者 too: giving a reason only records why one reads

    class Input(serializers.Serializer):
        access_reason = serializers.CharField(max_length=access_log.REASON_MAX, help_text="閲覧の理由（1行）")

    @extend_schema(summary="閲覧理由の入力（担当以外の職員）", request=Input,
                   parameters=[str_param("branch_number", "被保険者枝番")],
                   responses=write_responses(MemberDetailOut), tags=["被保険者"])
    def post(self, request, branch_number: str):
        member = get_scoped(Member.objects.visible_to(request.user).select_related("person"),
                            branch_number=branch_number)
        data = valid(self.Input, request)
        if access_log.needs_reason(request.user, member):
            reason = access_log.clean_reason(data["access_reason"])
            with transaction.atomic():
                access_log.record_access(actor=request.user, member=member, reason=reason, in_charge=False,
                                         channel=f"API {request.path}（理由を入力して表示）")
        return Response(MemberDetailOut(member, context={"request": request, "masked": set()}).data)


class EnrolView(ApiView):
    """加入: 個人を自保険者の被保険者として登録する."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        sim_id = serializers.CharField(max_length=20, help_text="加入する個人の個人識別子")
        branch_number = serializers.RegexField(r"^[0-9A-Za-z-]{1,20}$", help_text="被保険者枝番（英数字とハイフン、20文字以内）")
        name = serializers.CharField(max_length=100, required=False, help_text="氏名（省略時は個人の氏名）")
        kana = serializers.CharField(max_length=100, required=False, help_text="カナ氏名（省略時は個人のカナ氏名）")
        birth_date = serializers.DateField(required=False, help_text="生年月日（省略時は個人の生年月日）")
        symbol_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                              help_text="記号・番号")
        acquired_on = serializers.DateField(help_text="資格取得日")

    @extend_schema(summary="加入（被保険者の登録）", request=Input, responses=write_responses(MemberOut, status=201),
                   tags=["被保険者"])
    def post(self, request):
        data = valid(self.Input, request)
        person = Person.objects.filter(sim_id=data["sim_id"].strip().upper()).first()
        if person is None:
            raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                           fields={"sim_id": ["入力された個人識別子に該当する個人が見つかりません。"]})
        if Member.objects.visible_to(request.user).filter(branch_number=data["branch_number"]).exists():
            raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                           fields={"branch_number": ["この保険者には同じ被保険者枝番がすでに登録されています。"]})
        birth_date = data.get("birth_date") or person.birth_date
        if birth_date is None:
            raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                           fields={"birth_date": ["生年月日を入力してください。"]})
        member = enrol_member(
            actor=request.user,
            person=person,
            branch_number=data["branch_number"],
            name=data.get("name") or person.name,
            kana=data.get("kana") or person.kana or person.name,
            birth_date=birth_date,
            acquired_on=data["acquired_on"],
            symbol_number=data["symbol_number"],
        )
        return Response(MemberOut(member).data, status=status.HTTP_201_CREATED)


class LossView(ApiView):
    """資格喪失."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        lost_on = serializers.DateField(help_text="資格喪失日")

    @extend_schema(summary="資格喪失の登録", request=Input, parameters=[str_param("branch_number", "被保険者枝番")], responses=write_responses(MemberOut), tags=["被保険者"])
    def post(self, request, branch_number: str):
        member = get_scoped(Member.objects.visible_to(request.user).select_related("person"), branch_number=branch_number)
        data = valid(self.Input, request)
        member = record_loss(actor=request.user, member=member, lost_on=data["lost_on"])
        return Response(MemberOut(member).data)


class ReplicaIn(serializers.Serializer):
    item = serializers.SlugRelatedField(slug_field="code", queryset=InfoItem.objects.all(), help_text="特定個人情報のコード")
    content = serializers.DictField(help_text="副本の内容（例: 保険者名称, 保険者番号, 資格取得日, 資格喪失日）")
    registered_at = serializers.DateTimeField(required=False, help_text="副本登録日時（省略時は現在）")

    def validate_content(self, value):
        if not value:
            raise serializers.ValidationError("副本の内容を入力してください。")
        return value


class ReplicaView(ApiView):
    """副本登録（1件）."""

    permission_classes = [IsInsurerStaff]

    @extend_schema(summary="副本登録", request=ReplicaIn, parameters=[str_param("branch_number", "被保険者枝番")], responses=write_responses(ReplicaOut, status=201),
                   tags=["副本"])
    def post(self, request, branch_number: str):
        member = get_scoped(Member.objects.visible_to(request.user), branch_number=branch_number)
        data = valid(ReplicaIn, request)
        replica = register_replica(
            actor=request.user, member=member, item=data["item"], content=data["content"],
            registered_at=data.get("registered_at"),
        )
        return Response(ReplicaOut(replica).data, status=status.HTTP_201_CREATED)


class BulkReplicaView(ApiView):
    """副本の一括登録: すべての行を登録するか、1行でも誤りがあれば何も登録しない."""

    permission_classes = [IsInsurerStaff]

    class Row(serializers.Serializer):
        branch_number = serializers.CharField(max_length=20, help_text="被保険者枝番")
        item = serializers.CharField(max_length=40, help_text="特定個人情報のコード")
        content = serializers.DictField(help_text="副本の内容")
        registered_at = serializers.DateTimeField(required=False, help_text="副本登録日時（省略時は現在）")

    class Input(serializers.Serializer):
        rows = serializers.ListField(
            child=serializers.DictField(), min_length=1, max_length=MAX_BULK_ROWS,
            help_text=f"登録する副本（1〜{MAX_BULK_ROWS}行）。各行: branch_number, item, content, registered_at（任意）",
        )

    class Output(serializers.Serializer):
        registered = serializers.IntegerField(help_text="登録した副本の件数")

    @extend_schema(
        summary="副本の一括登録（全件か無しか）",
        description="1行でも誤りがあれば何も登録せず、400 で誤りのある行番号（0始まり）を fields.rows に示す。",
        request=inline_serializer(
            "BulkReplicaInput",
            fields={"rows": Row(many=True, help_text=f"登録する副本（1〜{MAX_BULK_ROWS}行）")},
        ),
        responses=write_responses(Output, status=201),
        tags=["副本"],
    )
    def post(self, request):
        data = valid(self.Input, request)
        rows = []
        row_serializer = self.Row()
        for index, raw in enumerate(data["rows"]):
            try:
                value = row_serializer.run_validation(raw)
            except serializers.ValidationError as exc:
                raise ApiError(code="invalid_row", message=f"{index}行目（0始まり）に誤りがあります。何も登録していません。",
                               fields={"rows": {str(index): exc.detail}}) from None
            rows.append(ReplicaRow(branch_number=value["branch_number"], item_code=value["item"],
                                   content=value["content"], registered_at=value.get("registered_at")))
        try:
            count = register_replicas_bulk(actor=request.user, rows=rows)
        except BulkRowError as exc:
            raise ApiError(code="invalid_row", message=f"{exc.index}行目（0始まり）に誤りがあります。何も登録していません。",
                           fields={"rows": {str(exc.index): {exc.field: [exc.message]}}}) from None
        return Response({"registered": count}, status=status.HTTP_201_CREATED)
