"""解除依頼 (four eyes): file one, list and read them, decide one (a 責任者 with his own token)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.idempotency import idempotent
from api.pagination import ClearingCursor
from api.permissions import IsInsurerStaff
from api.schema import id_param, read_responses, write_responses
from api.serializers import (
    ClearingRequestOut,
    FourEyesDecisionIn,
)
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, valid
from api.views.four_eyes import DecisionView
from flags.models import (
    ClearingRequest,
    ClearingRequestState,
    Setting,
)
from flags.services import (
    decide_clearing,
    request_clearing,
)


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


class DecideClearingView(DecisionView):
    """解除の承認・却下（責任者が自ら発行したトークンで。依頼者から独立した人のみ: institutions.access）."""

    class Input(FourEyesDecisionIn):
        approve = serializers.BooleanField(help_text="true: 承認（設定を解除）, false: 却下")

    @extend_schema(summary="解除の承認・却下", request=Input, parameters=[id_param("解除依頼ID")],
                   responses=write_responses(ClearingRequestOut, extra=(409, 422)), tags=["設定"])
    @idempotent
    def post(self, request, pk: str):
        clearing = get_scoped(ClearingRequest.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        clearing = decide_clearing(actor=request.user, clearing_request=clearing, approve=data["approve"],
                                   note=data["note"])
        return Response(ClearingRequestOut(clearing).data)
