"""情報照会 (one, through exchanges.services.send_inquiry; the batch is api/views/batch.py), 情報提供等記録, 手動応答,
追記依頼."""

from contextlib import nullcontext

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.idempotency import idempotent
from api.pagination import AppendCursor, ExchangeCursor, TwoSidedExchangeCursor
from api.permissions import IsInsurerStaff
from api.schema import id_param, read_responses, write_responses
from api.serializers import AppendRequestOut, ExchangeOut, FieldsOnce, ReplicaOut
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, valid
from exchanges import ids
from exchanges.models import AppendRequest, ExchangeRecord, ExchangeState
from exchanges.services import (
    AppendRequestExists,
    InquiryRequest,
    approve_manual_response,
    decline_manual_response,
    file_append_request,
    send_inquiry,
)
from flags import access_log
from institutions.models import Institution
from members import catalogue_cache as catalogue
from members.models import InfoItem, Member, Person, Procedure, Replica
from members.selectors import member_by_branch


class InstitutionOut(serializers.ModelSerializer):
    """情報照会先となる機関."""

    id = serializers.IntegerField(help_text="機関ID（情報照会の provider に指定）")
    name = serializers.CharField(help_text="名称")
    kind = serializers.CharField(help_text="種別")
    kind_label = serializers.CharField(source="get_kind_display", help_text="種別（日本語）")
    insurer_number = serializers.CharField(help_text="保険者番号（市町村は空）")

    class Meta:
        model = Institution
        fields = ["id", "name", "kind", "kind_label", "insurer_number"]


class InstitutionListView(ApiView):
    permission_classes = [IsInsurerStaff]

    @extend_schema(summary="機関（保険者・市町村）の一覧", responses=read_responses(InstitutionOut(many=True)),
                   tags=["カタログ"])
    def get(self, request):
        return Response(InstitutionOut(Institution.objects.order_by("id"), many=True).data)


class CatalogueView(ApiView):
    permission_classes = [IsInsurerStaff]

    class Output(serializers.Serializer):
        items = serializers.ListField(child=serializers.DictField(child=serializers.CharField()),
                                      help_text="特定個人情報（code, name）")
        procedures = serializers.ListField(child=serializers.DictField(), help_text="事務（code, name, items）")

    @extend_schema(summary="特定個人情報と事務のカタログ", responses=read_responses(Output), tags=["カタログ"])
    def get(self, request):
        items = [{"code": i.code, "name": i.name} for i in InfoItem.objects.order_by("id")]
        procedures = [
            {"code": p.code, "name": p.name, "items": [i.code for i in p.items.order_by("id")]}
            for p in Procedure.objects.prefetch_related("items").order_by("id")
        ]
        return Response({"items": items, "procedures": procedures})


class CatalogueSlugField(serializers.SlugRelatedField):
    """A 事務 or 特定個人情報 by its code, read from the in-process catalogue (members/catalogue_cache.py)."""

    def __init__(self, *, lookup, **kwargs):
        self.lookup = lookup
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        found = self.lookup(data) if isinstance(data, str) else None
        return found if found is not None else super().to_internal_value(data)


class CatalogueInstitutionField(serializers.PrimaryKeyRelatedField):
    """An institution by id, read from the in-process catalogue."""

    def to_internal_value(self, data):
        found = catalogue.institution(data) if isinstance(data, int | str) and not isinstance(data, bool) else None
        return found if found is not None else super().to_internal_value(data)


class InquiryIn(FieldsOnce, serializers.Serializer):
    """情報照会の入力. 対象者は member（自保険者の被保険者枝番）か sim_id（個人識別子）のどちらか一方."""

    procedure = CatalogueSlugField(lookup=catalogue.procedure, slug_field="code", queryset=Procedure.objects.all(),
                                   help_text="事務のコード")
    item = CatalogueSlugField(lookup=catalogue.item, slug_field="code", queryset=InfoItem.objects.all(),
                              help_text="照会する特定個人情報のコード")
    provider = CatalogueInstitutionField(queryset=Institution.objects.all(), help_text="照会先の機関ID")
    member = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                   help_text="対象者が自保険者の被保険者なら被保険者枝番")
    sim_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                   help_text="対象者を個人識別子で指定する場合（被保険者でない個人など）")
    nondisclosure_code = serializers.BooleanField(
        default=False,
        help_text="不開示コードを手動で設定する。不開示該当フラグのある被保険者と、対応中の設定対象者の要注意照会対象者"
                  "（加害者など）には、指定がなくても（false でも）自動で設定される。",
    )

    access_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="",
        help_text="照会の理由（1行）。対象者が保護の対象者（設定対象者・要注意照会対象者）で、呼出し元の職員がその担当で"
                  "ない場合は必須（省略すると 400 access_reason）。閲覧記録に残る。",
    )

    def validate(self, attrs):
        if bool(attrs["member"]) == bool(attrs["sim_id"]):
            raise serializers.ValidationError({"member": ["member と sim_id のどちらか一方を指定してください。"]})
        return attrs


def _send(request, data) -> tuple[ExchangeRecord, Member | None]:
    member = None
    if data["member"]:
        member = member_by_branch(request.user, data["member"])
        if member is None:
            raise ValidationError({"member": "この被保険者枝番の被保険者は見つかりません。"})
    # Issue 17: an inquiry about a protected person or a linked one is an access; not 担当 → a reason first.
    person_id = member.person_id if member else Person.objects.filter(
        sim_id=(data["sim_id"] or "").strip().upper()).values_list("pk", flat=True).first()
    access = access_log.inquiry_access(request.user, person_id=person_id, reason=data.get("access_reason", ""),
                                       member=member) if person_id else None
    # The inquiry and its access entries commit together; nothing to record (the usual case): no extra savepoint.
    # send_inquiry needs no savepoint of its own either: the view runs in the Idempotency-Key transaction
    # (api.idempotency), which rolls back whenever the view raises.
    with transaction.atomic() if access is not None and access.members else nullcontext():
        record = send_inquiry(
            actor=request.user,
            request=InquiryRequest(
                procedure=data["procedure"], item=data["item"], provider=data["provider"], member=member,
                sim_id=data["sim_id"] or None, nondisclosure_code=data["nondisclosure_code"],
            ),
            savepoint=False,
        )
        if access is not None and access.members:
            access.record(actor=request.user, person_id=person_id)
    return record, member


def record_context(request, records, *, member: Member | None = None) -> dict:
    if member is not None:
        # Just sent about one of our members: the 枝番 is the one the client gave, no need to read it again.
        return {"request": request, "branch_by_person": {member.person_id: member.branch_number}}
    persons = {r.subject_id for r in records}
    rows = Member.objects.visible_to(request.user).filter(person_id__in=persons).values_list("person_id", "branch_number")
    return {"request": request, "branch_by_person": dict(rows)}


class InquiryView(ApiView):
    """情報照会（送信）. すべての照会は send_inquiry（不開示該当フラグの確認と自動不開示コード）を通る."""

    permission_classes = [IsInsurerStaff]

    @extend_schema(summary="情報照会", request=InquiryIn,
                   responses=write_responses(ExchangeOut, status=201, extra=(422, 503)), tags=["情報照会"])
    @idempotent
    def post(self, request):
        data = valid(InquiryIn, request)
        record, member = _send(request, data)
        return Response(ExchangeOut(record, context=record_context(request, [record], member=member)).data,
                        status=status.HTTP_201_CREATED)


class ExchangeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ExchangeState.choices, help_text="状態")
    direction = django_filters.ChoiceFilter(
        choices=[("inquiry", "情報照会"), ("provision", "情報提供")], method="filter_direction",
        help_text="inquiry: 自保険者の照会, provision: 自保険者の提供",
    )
    handle_with_care = django_filters.BooleanFilter(method="filter_care", help_text="true: 取り扱い注意のみ")

    class Meta:
        model = ExchangeRecord
        fields = ["state", "direction", "handle_with_care"]

    def filter_direction(self, queryset, name, value):
        institution_id = self.request.user.institution_id
        if value == "inquiry":
            return queryset.filter(inquirer_id=institution_id)
        return queryset.filter(provider_id=institution_id)

    def filter_care(self, queryset, name, value):
        from django.db.models import Q

        care = Q(inquiry_code=True) | Q(provision_code=True)
        return queryset.filter(care) if value else queryset.exclude(care)


class ExchangeReadMixin:
    def get_serializer_context(self):
        context = super().get_serializer_context()
        records = getattr(self, "_page", None) or []
        return context | record_context(self.request, records)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._page = page
        return page

    def get_object(self):
        # As DRF's get_object (scoped queryset, 404, object permissions), with the id's month (exchanges/ids.py).
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = get_scoped(self.filter_queryset(self.get_queryset()), **ids.lookup(pk))
        self.check_object_permissions(self.request, obj)
        self._page = [obj]
        return obj

    def person_ids_of(self, objects):
        return [r.subject_id for r in objects]


@extend_schema_view(
    list=extend_schema(summary="情報提供等記録の一覧（自保険者が照会または提供したもの）",
                       responses=read_responses(ExchangeOut(many=True)), tags=["情報提供等記録"]),
    retrieve=extend_schema(summary="情報提供等記録の参照", responses=read_responses(ExchangeOut),
                           tags=["情報提供等記録"]),
)
class ExchangeViewSet(ExchangeReadMixin, ScopedReadOnlyViewSet):
    serializer_class = ExchangeOut
    pagination_class = TwoSidedExchangeCursor
    filterset_class = ExchangeFilter

    def get_queryset(self):
        return ExchangeRecord.objects.visible_to(self.request.user).select_related("procedure", "item", "subject")


class ManualQueueOut(ExchangeOut):
    """手動応答待ちの照会と、提供予定の副本（情報提供内容入力画面）."""

    latest_replica = serializers.SerializerMethodField(help_text="提供予定の最新の副本（確認・修正して送信許可する）")

    class Meta(ExchangeOut.Meta):
        fields = ExchangeOut.Meta.fields + ["latest_replica"]

    @extend_schema_field(ReplicaOut(allow_null=True))
    def get_latest_replica(self, obj):
        replica = (
            Replica.objects.filter(institution_id=obj.provider_id, person_id=obj.subject_id, item_id=obj.item_id)
            .select_related("item").order_by("-registered_at", "-id").first()
        )
        return ReplicaOut(replica).data if replica else None


@extend_schema_view(
    list=extend_schema(summary="手動応答待ちの一覧（自動応答不可フラグ）", responses=read_responses(ManualQueueOut(many=True)),
                       tags=["手動応答"]),
    retrieve=extend_schema(summary="手動応答待ちの参照", responses=read_responses(ManualQueueOut), tags=["手動応答"]),
)
class ManualQueueViewSet(ExchangeReadMixin, ScopedReadOnlyViewSet):
    queryset = ExchangeRecord.objects.none()  # model for the schema; rows come from get_queryset
    serializer_class = ManualQueueOut
    pagination_class = ExchangeCursor

    def get_queryset(self):
        institution_id = self.request.user.institution_id
        if not institution_id:
            return ExchangeRecord.objects.none()
        return ExchangeRecord.objects.manual_queue(institution_id).select_related("procedure", "item", "subject")


def _provided_by_us(request, record_id) -> ExchangeRecord:
    """A record our insurer is asked to provide (any state; the service refuses one no longer waiting)."""
    queryset = ExchangeRecord.objects.visible_to(request.user).filter(provider_id=request.user.institution_id)
    return get_scoped(queryset, **ids.lookup(record_id))


class ApproveManualResponseView(ApiView):
    """送信許可: 内容を確認（必要なら修正）して提供する。その時点の不開示該当フラグで不開示コードが自動で付く."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        content = serializers.DictField(required=False, allow_null=True, default=None,
                                        help_text="修正した提供内容（省略・null は最新の副本のまま）")
        nondisclosure_code = serializers.BooleanField(default=False, help_text="不開示コードを付けて提供する")

    @extend_schema(summary="手動応答の送信許可", request=Input, parameters=[id_param("記録ID（UUID）", uuid=True)], responses=write_responses(ExchangeOut, extra=(409, 422)),
                   tags=["手動応答"])
    @idempotent
    def post(self, request, pk):
        record = _provided_by_us(request, pk)
        data = valid(self.Input, request)
        record = approve_manual_response(actor=request.user, record=record, content=data["content"],
                                         nondisclosure_code=data["nondisclosure_code"])
        return Response(ExchangeOut(record, context=record_context(request, [record])).data)


class DeclineManualResponseView(ApiView):
    """提供せず."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, help_text="提供しない理由")

    @extend_schema(summary="手動応答: 提供しない", request=Input, parameters=[id_param("記録ID（UUID）", uuid=True)], responses=write_responses(ExchangeOut, extra=(409, 422)),
                   tags=["手動応答"])
    @idempotent
    def post(self, request, pk):
        record = _provided_by_us(request, pk)
        data = valid(self.Input, request)
        record = decline_manual_response(actor=request.user, record=record, reason=data["reason"])
        return Response(ExchangeOut(record, context=record_context(request, [record])).data)


class FileAppendRequestView(ApiView):
    """追記依頼: 自保険者が関与した記録を、事後的に不開示とするよう情報提供NWSへ依頼する（別紙2 §4）."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, help_text="追記依頼の理由")

    @extend_schema(summary="追記依頼", request=Input, parameters=[id_param("記録ID（UUID）", uuid=True)], responses=write_responses(AppendRequestOut, status=201, extra=(409, 422)),
                   tags=["追記依頼"])
    @idempotent
    def post(self, request, pk):
        record = get_scoped(ExchangeRecord.objects.visible_to(request.user), **ids.lookup(pk))
        data = valid(self.Input, request)
        append = file_append_or_conflict(actor=request.user, record=record, reason=data["reason"])
        return Response(AppendRequestOut(append).data, status=status.HTTP_201_CREATED)


def file_append_or_conflict(*, actor, record, reason: str):
    """file_append_request; filing twice answers 409 with the request already filed (body key `existing`)."""
    try:
        return file_append_request(actor=actor, record=record, reason=reason)
    except AppendRequestExists as exc:
        raise ApiError(code=exc.code, message=exc.messages[0], status_code=status.HTTP_409_CONFLICT,
                       extra={"existing": AppendRequestOut(exc.existing).data}) from exc


@extend_schema_view(
    list=extend_schema(summary="追記依頼の一覧", responses=read_responses(AppendRequestOut(many=True)), tags=["追記依頼"]),
    retrieve=extend_schema(summary="追記依頼の参照", responses=read_responses(AppendRequestOut), tags=["追記依頼"]),
)
class AppendRequestViewSet(ScopedReadOnlyViewSet):
    queryset = AppendRequest.objects.none()  # model for the schema; rows come from get_queryset
    serializer_class = AppendRequestOut
    pagination_class = AppendCursor

    def get_queryset(self):
        institution_id = self.request.user.institution_id
        if not institution_id:
            return AppendRequest.objects.none()
        return AppendRequest.objects.filter(institution_id=institution_id).select_related("record")

    def person_ids_of(self, objects):
        return [a.record.subject_id for a in objects]
