"""要注意照会対象者: link a person to a case, and the removal of a link (four eyes)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from api.pagination import ClearingCursor
from api.permissions import IsInsurerStaff
from api.schema import id_param, read_responses, write_responses
from api.serializers import (
    FourEyesDecisionIn,
    LinkedPersonOut,
    LinkRemovalOut,
)
from api.views.common import ApiView, ScopedReadOnlyViewSet, get_scoped, valid
from api.views.four_eyes import DecisionView
from api.views.lookups import person_by_sim_id, renamed
from flags.links import decide_link_removal, link_person, request_link_removal
from flags.models import (
    CaseLinkedPerson,
    LinkRemovalRequest,
    ProtectionCase,
)


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
        person = person_by_sim_id(data["sim_id"].strip().upper(), field="sim_id")
        try:
            link = link_person(actor=request.user, case=case, person=person, reason=data["reason"])
        except DjangoValidationError as exc:
            raise renamed(exc, {"person": "sim_id"}) from None
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


class DecideLinkRemovalView(DecisionView):
    """要注意照会対象者の削除の承認・却下（責任者が自ら発行したトークンで。依頼者から独立した人のみ: institutions.access）."""

    class Input(FourEyesDecisionIn):
        approve = serializers.BooleanField(help_text="true: 承認（要注意照会対象者から削除）, false: 却下")

    @extend_schema(summary="要注意照会対象者の削除の承認・却下", request=Input, parameters=[id_param("削除依頼ID")],
                   responses=write_responses(LinkRemovalOut, extra=(409,)), tags=["設定対象者"])
    def post(self, request, pk: str):
        removal = get_scoped(LinkRemovalRequest.objects.visible_to(request.user), pk=pk)
        data = valid(self.Input, request)
        removal = decide_link_removal(actor=request.user, removal_request=removal, approve=data["approve"],
                                      note=data["note"])
        return Response(LinkRemovalOut(removal).data)
