"""同伴者 (accompanying family) of a protection case: add one, ask to remove one, the supervisor's decision (four
eyes, as for clearing: removal takes their protection away), and the removal requests — all through flags.family."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.idempotency import idempotent
from api.pagination import ClearingCursor
from api.permissions import IsInsurerStaff
from api.schema import id_param, read_responses, write_responses
from api.serializers import CompanionOut, CompanionRemovalOut, FourEyesDecisionIn
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, valid
from api.views.four_eyes import DecisionView
from api.views.lookups import own_member, renamed
from flags.family import add_companion, decide_companion_removal, request_companion_removal
from flags.models import CaseCompanion, CompanionRemovalRequest, ProtectionCase

TAGS = ["設定対象者"]


class AddCompanionView(ApiView):
    """同伴者の追加: 設定対象者と一緒に避難した自保険者の被保険者（子など）。同じ保護が同時に設定される."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        member = serializers.CharField(max_length=20, help_text="同伴者の被保険者枝番（自保険者の被保険者）")
        relation = serializers.CharField(max_length=20, help_text="続柄（子など）")
        reason = serializers.CharField(max_length=1000, help_text="登録理由")

    @extend_schema(summary="同伴者の追加", request=Input, parameters=[id_param("設定対象者ID")],
                   description="設定対象者に設定されている保護（ケース①なら少なくとも不開示該当・自己情報提供不可）を"
                   "この方にも全体で設定します。要注意照会対象者の登録はこの方にも及びます。",
                   responses=write_responses(CompanionOut, status=201, extra=(409, 422)), tags=TAGS)
    @idempotent
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user).select_related("member"), pk=pk)
        data = valid(self.Input, request)
        member = own_member(request.user, data["member"].strip().upper(), field="member")
        try:
            companion = add_companion(actor=request.user, case=case, member=member, relation=data["relation"],
                                      reason=data["reason"])
        except DjangoValidationError as exc:
            raise renamed(exc, {}) from None
        return Response(CompanionOut(companion).data, status=status.HTTP_201_CREATED)


class RequestCompanionRemovalView(ApiView):
    """同伴者の削除依頼: 依頼者以外の責任者が承認するまで、同伴者の保護は続く."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, help_text="削除理由")
        override_reason = serializers.CharField(
            max_length=1000, required=False, allow_blank=True, default="",
            help_text="ケース①でカード停止等手続の完了が確認できない場合の理由（責任者のみ）")

    @extend_schema(summary="同伴者の削除依頼", request=Input, parameters=[id_param("同伴者ID")],
                   description="ケース①で手続の完了（中間サーバーの記録を含む）が確認できない場合は 409 "
                   "card_procedures_incomplete。責任者は override_reason を付けて依頼できます。",
                   responses=write_responses(CompanionRemovalOut, status=201, extra=(409, 422)), tags=TAGS)
    @idempotent
    def post(self, request, pk: str):
        companion = get_scoped(CaseCompanion.objects.visible_to(request.user).select_related("case"), pk=pk)
        data = valid(self.Input, request)
        removal = request_companion_removal(actor=request.user, companion=companion, reason=data["reason"],
                                            override_reason=data["override_reason"])
        return Response(CompanionRemovalOut(removal).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="同伴者の削除依頼の一覧", responses=read_responses(CompanionRemovalOut(many=True)),
                       tags=TAGS),
    retrieve=extend_schema(summary="同伴者の削除依頼の参照", responses=read_responses(CompanionRemovalOut),
                           tags=TAGS),
)
class CompanionRemovalViewSet(ScopedReadOnlyViewSet):
    serializer_class = CompanionRemovalOut
    pagination_class = ClearingCursor

    def get_queryset(self):
        return CompanionRemovalRequest.objects.visible_to(self.request.user).select_related("companion__member")

    def person_ids_of(self, objects):
        return [r.companion.member.person_id for r in objects]


class DecideCompanionRemovalView(DecisionView):
    """同伴者の削除の承認・却下（責任者が自ら発行したトークンで。依頼者から独立した人のみ: institutions.access）。
    承認すると同伴者の保護が解除される."""

    class Input(FourEyesDecisionIn):
        approve = serializers.BooleanField(help_text="true: 承認（同伴者から外し、保護を解除）, false: 却下")

    @extend_schema(summary="同伴者の削除の承認・却下", request=Input, parameters=[id_param("削除依頼ID")],
                   responses=write_responses(CompanionRemovalOut, extra=(409, 422)), tags=TAGS)
    @idempotent
    def post(self, request, pk: str):
        removal = get_scoped(CompanionRemovalRequest.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        removal = decide_companion_removal(actor=request.user, removal=removal, approve=data["approve"],
                                           note=data["note"])
        return Response(CompanionRemovalOut(removal).data)
