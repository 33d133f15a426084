"""不開示該当フラグ等の設定, 解除依頼 (four eyes), 設定対象者 — all through flags.services."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.idempotency import idempotent
from api.pagination import CaseCursor, ClearingCursor, SettingCursor
from api.permissions import IsInsurerStaff, IsSupervisor
from api.schema import error, id_param, read_responses, write_responses
from api.serializers import (
    CaseClosureOut,
    ClearingRequestOut,
    LinkedPersonOut,
    LinkRemovalOut,
    ProtectionCaseOut,
    SettingOut,
)
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, valid
from flagcsv.export import Encoding, StateFilter
from flagcsv.views import streamed_download
from flags.case_lifecycle import decide_case_closure, request_case_closure, set_review_date
from flags.links import decide_link_removal, link_person, record_links_viewed, request_link_removal
from flags.models import (
    CaseClosure,
    CaseLinkedPerson,
    ClearingRequest,
    ClearingRequestState,
    LinkRemovalRequest,
    ProtectionCase,
    Setting,
    SettingSource,
)
from flags.policy import SETTING_LABELS, SettingKind
from flags.services import (
    CHECKLIST_FIELDS,
    OpenCaseExists,
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
        override_reason = serializers.CharField(
            max_length=2000, required=False, allow_blank=True, default="",
            help_text="ケース①の不開示該当・自己情報提供不可で、カード停止等手続の完了が記録されていないときに限り、"
            "責任者が解除を依頼する理由（記録・監査されます）。完了が記録されていれば不要。",
        )

    @extend_schema(summary="解除依頼", request=Input, parameters=[id_param("設定ID")],
                   description="ケース①の不開示該当フラグ・自己情報提供不可フラグは、設定対象者にカード停止等手続の完了確認日が"
                   "記録されるまで依頼できません（409 card_procedures_incomplete）。責任者は override_reason を付けて依頼できます。",
                   responses=write_responses(ClearingRequestOut, status=201, extra=(409,)), tags=["設定"])
    def post(self, request, pk: str):
        setting = get_scoped(Setting.objects.visible_to(request.user).filter(member__isnull=False), pk=pk)
        data = valid(self.Input, request)
        clearing = request_clearing(actor=request.user, setting=setting, reason=data["reason"],
                                    override_reason=data["override_reason"])
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


def _filter_review_due(queryset, name: str, value: bool):
    due = {"closed_at__isnull": True, "review_on__lte": timezone.localdate()}
    return queryset.filter(**due) if value else queryset.exclude(**due)


class CaseFilter(django_filters.FilterSet):
    open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", help_text="true: 対応中のみ")
    review_due = django_filters.BooleanFilter(method=_filter_review_due,
                                              help_text="true: 見直し日を迎えた対応中のものだけ")

    class Meta:
        model = ProtectionCase
        fields = ["open", "review_due"]


@extend_schema_view(
    list=extend_schema(summary="設定対象者の一覧", responses=read_responses(ProtectionCaseOut(many=True)),
                       tags=["設定対象者"]),
    retrieve=extend_schema(summary="設定対象者の参照", responses=read_responses(ProtectionCaseOut), tags=["設定対象者"]),
)
class ProtectionCaseViewSet(ScopedReadOnlyViewSet):
    serializer_class = ProtectionCaseOut
    pagination_class = CaseCursor
    filterset_class = CaseFilter

    def get_queryset(self):
        pending = CaseClosure.objects.filter(state=ClearingRequestState.PENDING)
        return (
            ProtectionCase.objects.visible_to(self.request.user).select_related("member")
            .prefetch_related(Prefetch("closures", queryset=pending, to_attr="pending_closures"))
            .prefetch_related(Prefetch("linked_persons", queryset=CaseLinkedPerson.objects.select_related("person")))
        )

    def person_ids_of(self, objects):
        # Called once per list page or detail, just before the answer is built: the links it shows are audited.
        for case in objects:
            _audit_links_shown(self.request, case)
        return [c.member.person_id for c in objects]


def _audit_links_shown(request, case: ProtectionCase) -> None:
    links = list(case.linked_persons.all())
    if links:
        record_links_viewed(actor=request.user, case=case, links=links, channel=f"API {request.path}")


def _case_out(request, case: ProtectionCase) -> dict:
    """A case as a write endpoint answers it: its links are shown, so the view is audited too."""
    case = ProtectionCase.objects.prefetch_related(
        Prefetch("linked_persons", queryset=CaseLinkedPerson.objects.select_related("person"))
    ).select_related("member").get(pk=case.pk)
    _audit_links_shown(request, case)
    return ProtectionCaseOut(case).data


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
        case_card_or_proxy = serializers.BooleanField(
            default=False, help_text="ケース① カードが加害者の手元にある／加害者が代理人（任意。選ぶと不開示該当・"
            "自己情報提供不可を全体に設定）")
        case_inquiry_about_abuser = serializers.BooleanField(default=False,
                                                             help_text="ケース② 加害者に係る情報照会を行う（任意）")
        wants_non_disclosure = serializers.BooleanField(default=True, help_text="不開示該当フラグを設定する")
        wants_no_self_info = serializers.BooleanField(default=False, help_text="自己情報提供不可フラグを設定する")
        no_auto_response_wanted = serializers.BooleanField(default=False,
                                                           help_text="自動応答を望まない（自動応答不可フラグ）")
        linked_sim_ids = serializers.ListField(
            child=serializers.CharField(max_length=20), required=False, default=list, max_length=20,
            help_text="要注意照会対象者（加害者など。自保険者の被保険者も可）の個人識別子。"
                      "この方々に係る情報照会には不開示コードが自動で付く",
        )
        notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="", help_text="備考")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="設定理由")

    @extend_schema(summary="設定対象者の登録", request=Input,
                   description="ア・イの確認とウ（又は設定を要することが明らか）で登録できます。ケース①②は任意です。"
                   "対応中の設定対象者がある被保険者は 409 open_case_exists（open_case に対応中の設定対象者のIDとURL）。",
                   responses=write_responses(ProtectionCaseOut, status=201, extra=(409,)), tags=["設定対象者"])
    def post(self, request):
        data = valid(self.Input, request)
        member = _own_member(request.user, data.pop("member"), field="member")
        sim_ids = list(dict.fromkeys(s.strip().upper() for s in data.pop("linked_sim_ids")))
        persons = [_person(sim_id, field="linked_sim_ids") for sim_id in sim_ids]
        try:
            case = open_protection_case(actor=request.user, member=member, linked_persons=persons,
                                        source=SettingSource.API, **data)
        except OpenCaseExists as exc:
            raise ApiError(
                code="open_case_exists", message=exc.messages[0], status_code=status.HTTP_409_CONFLICT,
                extra={"open_case": {"id": exc.case.pk,
                                     "url": reverse("api:v1:case-detail", kwargs={"pk": exc.case.pk})}},
            ) from None
        except DjangoValidationError as exc:
            raise _renamed(exc, {"linked_persons": "linked_sim_ids"}) from None
        return Response(_case_out(request, case), status=status.HTTP_201_CREATED)


class CaseChecklistView(ApiView):
    """カード停止等手続の記録（日付）。省略した項目は変わらず、null は記録を消す。フラグの解除は解除依頼で行う."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        card_suspension_advised_on = serializers.DateField(required=False, allow_null=True,
                                                           help_text="カード停止を案内した日")
        card_suspension_confirmed_on = serializers.DateField(required=False, allow_null=True,
                                                             help_text="カード停止の完了を確認した日")
        proxy_cancel_advised_on = serializers.DateField(required=False, allow_null=True,
                                                        help_text="代理人設定の解除を案内した日")
        proxy_cancel_confirmed_on = serializers.DateField(
            required=False, allow_null=True, help_text="代理人設定の解除（又は代理人設定がないこと）を確認した日")
        number_change_advised_on = serializers.DateField(required=False, allow_null=True,
                                                         help_text="個人番号の変更・カード再交付を案内した日（必要な場合）")
        number_change_confirmed_on = serializers.DateField(required=False, allow_null=True,
                                                           help_text="個人番号の変更・カード再交付の完了を確認した日")
        card_suspension_not_applicable = serializers.BooleanField(
            required=False, help_text="カード停止は対象外（代理人設定のみが問題。カード停止の日付は空欄にする）")
        card_suspension_not_applicable_reason = serializers.CharField(
            max_length=1000, required=False, allow_blank=True, help_text="カード停止を対象外とする理由（対象外なら必須）")
        notes = serializers.CharField(max_length=4000, required=False, allow_blank=True, help_text="備考")

    @extend_schema(summary="カード停止等手続の記録（日付）", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(ProtectionCaseOut, extra=(409,)), tags=["設定対象者"])
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        notes = data.pop("notes", None)
        dates = {k: v for k, v in data.items() if k in CHECKLIST_FIELDS}
        case = update_case_checklist(
            actor=request.user, case=case, notes=notes, **dates,
            card_suspension_not_applicable=data.get("card_suspension_not_applicable"),
            card_suspension_not_applicable_reason=data.get("card_suspension_not_applicable_reason"),
        )
        return Response(_case_out(request, case))


def _person(sim_id: str, *, field: str) -> Person:
    person = Person.objects.filter(sim_id=sim_id).first()
    if person is None:
        raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                       fields={field: [f"個人識別子 {sim_id} に該当する個人が見つかりません。"]})
    return person


def _renamed(exc: DjangoValidationError, names: dict[str, str]) -> DjangoValidationError:
    """A service's field errors under the names the API body uses."""
    if not hasattr(exc, "error_dict"):
        return exc
    return DjangoValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})


class LinkPersonView(ApiView):
    """要注意照会対象者の追加: この時点から、この方に係る自保険者の情報照会には不開示コードが自動で付く."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        sim_id = serializers.CharField(max_length=20, help_text="個人識別子（自保険者の被保険者も可。設定対象者本人は不可）")
        reason = serializers.CharField(max_length=2000, help_text="登録理由")

    @extend_schema(summary="要注意照会対象者の追加", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(LinkedPersonOut, status=201, extra=(409,)), tags=["設定対象者"])
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user).select_related("member"), pk=pk)
        data = valid(self.Input, request)
        person = _person(data["sim_id"].strip().upper(), field="sim_id")
        try:
            link = link_person(actor=request.user, case=case, person=person, reason=data["reason"])
        except DjangoValidationError as exc:
            raise _renamed(exc, {"person": "sim_id"}) from None
        return Response(LinkedPersonOut(link).data, status=status.HTTP_201_CREATED)


class RequestLinkRemovalView(ApiView):
    """要注意照会対象者の削除依頼: 依頼者以外の責任者が承認するまで、不開示コードは自動で付き続ける."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, help_text="削除理由")

    @extend_schema(summary="要注意照会対象者の削除依頼", request=Input, parameters=[id_param("要注意照会対象者ID")],
                   responses=write_responses(LinkRemovalOut, status=201, extra=(409,)), tags=["設定対象者"])
    def post(self, request, pk: str):
        link = get_scoped(CaseLinkedPerson.objects.visible_to(request.user).select_related("case"), pk=pk)
        data = valid(self.Input, request)
        removal = request_link_removal(actor=request.user, link=link, reason=data["reason"])
        return Response(LinkRemovalOut(removal).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="要注意照会対象者の削除依頼の一覧", responses=read_responses(LinkRemovalOut(many=True)),
                       tags=["設定対象者"]),
    retrieve=extend_schema(summary="要注意照会対象者の削除依頼の参照", responses=read_responses(LinkRemovalOut),
                           tags=["設定対象者"]),
)
class LinkRemovalViewSet(ScopedReadOnlyViewSet):
    serializer_class = LinkRemovalOut
    pagination_class = ClearingCursor

    def get_queryset(self):
        return LinkRemovalRequest.objects.visible_to(self.request.user).select_related("link")


class DecideLinkRemovalView(ApiView):
    """要注意照会対象者の削除の承認・却下（責任者のみ。依頼した本人は承認できない）."""

    permission_classes = [IsSupervisor]

    class Input(serializers.Serializer):
        approve = serializers.BooleanField(help_text="true: 承認（要注意照会対象者から削除）, false: 却下")
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                     help_text="承認・却下メモ")

    @extend_schema(summary="要注意照会対象者の削除の承認・却下", request=Input, parameters=[id_param("削除依頼ID")],
                   responses=write_responses(LinkRemovalOut, extra=(409,)), tags=["設定対象者"])
    def post(self, request, pk: str):
        removal = get_scoped(LinkRemovalRequest.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        removal = decide_link_removal(actor=request.user, removal_request=removal, approve=data["approve"],
                                      note=data["note"])
        return Response(LinkRemovalOut(removal).data)


class CaseReviewDateView(ApiView):
    """見直し日の設定（既定は登録から1年）。見直し日を過ぎても自動では何も解除されない."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        review_on = serializers.DateField(help_text="次の見直し日（今日から3年以内）")
        reason = serializers.CharField(max_length=1000, help_text="変更の理由")

    @extend_schema(summary="見直し日の設定", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(ProtectionCaseOut, extra=(409,)), tags=["設定対象者"])
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        case = set_review_date(actor=request.user, case=case, review_on=data["review_on"], reason=data["reason"])
        return Response(_case_out(request, case))


class RequestCaseClosureView(ApiView):
    """設定対象者の終了依頼。依頼者と別の責任者が承認するまで対応中のまま."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, help_text="終了理由")
        clear_settings = serializers.BooleanField(
            default=False, help_text="この設定対象者で設定した有効なフラグを、終了の承認と同時に解除する"
            "（false で有効なフラグが残っていれば 409 settings_in_force）")
        override_reason = serializers.CharField(
            max_length=1000, required=False, allow_blank=True, default="",
            help_text="ケース①でカード停止等手続の完了が記録されていないときに限り、責任者が解除を判断する理由")

    @extend_schema(summary="設定対象者の終了依頼", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(CaseClosureOut, status=201, extra=(409,)), tags=["設定対象者"])
    @idempotent
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        closure = request_case_closure(actor=request.user, case=case, **data)
        return Response(CaseClosureOut(closure).data, status=status.HTTP_201_CREATED)


class DecideCaseClosureView(ApiView):
    """設定対象者の終了の承認・却下（責任者のみ。依頼した本人は承認できない）."""

    permission_classes = [IsSupervisor]

    class Input(serializers.Serializer):
        approve = serializers.BooleanField(help_text="true: 承認（終了し、指定があればフラグを解除）, false: 却下")
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                     help_text="承認・却下メモ（却下では必須）")

    @extend_schema(summary="設定対象者の終了の承認・却下", request=Input, parameters=[id_param("終了依頼ID")],
                   responses=write_responses(CaseClosureOut, extra=(409,)), tags=["設定対象者"])
    @idempotent
    def post(self, request, pk: str):
        closure = get_scoped(CaseClosure.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        closure = decide_case_closure(actor=request.user, closure=closure, approve=data["approve"], note=data["note"])
        return Response(CaseClosureOut(closure).data)


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
