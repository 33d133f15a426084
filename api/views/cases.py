"""設定対象者: open a case, its checklist and review date, and its closure (four eyes)."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.idempotency import idempotent
from api.pagination import CaseCursor
from api.permissions import IsInsurerStaff
from api.schema import id_param, read_responses, write_responses
from api.serializers import (
    CaseClosureOut,
    FourEyesDecisionIn,
    ProtectionCaseOut,
)
from api.services import protected_view_entries
from api.views.account import AnyInsurerStaff
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, granted_over_api, valid
from api.views.four_eyes import DecisionView
from api.views.lookups import own_member, person_by_sim_id, renamed
from audit.services import append
from flags import access_log
from flags.card_gate import case_gates
from flags.case_lifecycle import decide_case_closure, request_case_closure, set_review_date
from flags.links import links_viewed_entry
from flags.models import (
    CaseClosure,
    CaseCompanion,
    CaseLinkedPerson,
    ClearingRequestState,
    CompanionRemovalRequest,
    ProtectionCase,
    SettingSource,
)
from flags.services import (
    CHECKLIST_FIELDS,
    OpenCaseExists,
    open_protection_case,
    update_case_checklist,
)


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
        return cases_for_answer(self.request.user)

    def shown(self, objects) -> None:
        # Called once per list page or detail, just before the answer is built.
        self.masked = prepare_cases(self.request, objects)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "masked": getattr(self, "masked", set())}


def cases_for_answer(user):
    """Cases with everything their answer shows fetched in a fixed number of reads (no statement per case)."""
    pending = ClearingRequestState.PENDING
    companions = CaseCompanion.objects.in_force().select_related("member").prefetch_related(
        Prefetch("removal_requests", queryset=CompanionRemovalRequest.objects.filter(state=pending),
                 to_attr="pending_removals"))
    return ProtectionCase.objects.visible_to(user).select_related("member").prefetch_related(
        Prefetch("closures", queryset=CaseClosure.objects.filter(state=pending), to_attr="pending_closures"),
        Prefetch("linked_persons", queryset=CaseLinkedPerson.objects.select_related("person")),
        Prefetch("companions", queryset=companions, to_attr="companions_in_force"),
    )


def prepare_cases(request, cases) -> set[int]:
    """Before cases are answered: which are masked (issue 17: 「保護対象者」 to staff not 担当 who gave no reason),
    the card gate of all of them at once, and one INSERT auditing what is shown — the linked persons of each, and
    each protected person shown unmasked. Returns the masked case ids (the serializer's context)."""
    cases = list(cases)
    user = request.user
    masked = access_log.masked_case_ids(user, cases, granted=granted_over_api(request))
    gates = case_gates(cases)
    for c in cases:
        c._card_gate = gates[c.pk]  # read by ProtectionCaseOut
    entries = [links_viewed_entry(actor=user, case=c, links=links, channel=f"API {request.path}")
               for c in cases if (links := list(c.linked_persons.all()))]
    entries += protected_view_entries(actor=user, person_ids=[c.member.person_id for c in cases if c.pk not in masked],
                                      via=request.path)
    if entries:
        with transaction.atomic():
            append(*entries)
    return masked


def _case_out(request, case: ProtectionCase) -> dict:
    """A case as a write endpoint answers it, masked and audited as the list and detail are."""
    case = cases_for_answer(request.user).get(pk=case.pk)
    masked = prepare_cases(request, [case])
    return ProtectionCaseOut(case, context={"request": request, "masked": masked}).data


class CaseAccessReasonView(ApiView):
    """閲覧理由の入力（break the glass）: 担当でない職員が理由を1行で入力すると、以後このトークンでは設定対象者の
    一覧・参照で被保険者枝番等が表示される。理由は閲覧記録に残る。担当なら理由なしで表示される."""

    permission_classes = [AnyInsurerStaff]  # 監査者 too: giving a reason only records why one reads

    class Input(serializers.Serializer):
        access_reason = serializers.CharField(max_length=access_log.REASON_MAX, help_text="閲覧の理由（1行）")

    @extend_schema(summary="閲覧理由の入力（担当以外の職員）", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(ProtectionCaseOut), tags=["設定対象者"])
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user).select_related("member"), pk=pk)
        data = valid(self.Input, request)
        if access_log.needs_reason(request.user, case.member, case=case):
            reason = access_log.clean_reason(data["access_reason"])
            with transaction.atomic():
                access_log.record_access(actor=request.user, member=case.member, reason=reason, in_charge=False,
                                         channel=f"API {request.path}（理由を入力して表示）")
        return Response(_case_out(request, case))


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
        member = own_member(request.user, data.pop("member"), field="member")
        sim_ids = list(dict.fromkeys(s.strip().upper() for s in data.pop("linked_sim_ids")))
        persons = [person_by_sim_id(sim_id, field="linked_sim_ids") for sim_id in sim_ids]
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
            raise renamed(exc, {"linked_persons": "linked_sim_ids"}) from None
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


class DecideCaseClosureView(DecisionView):
    """設定対象者の終了の承認・却下（責任者が自ら発行したトークンで。依頼者から独立した人のみ: institutions.access）."""

    class Input(FourEyesDecisionIn):
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
