"""引継ぎ over the API (issue 11 points 3 and 4): the old insurer offers; the new insurer's 責任者 lists, confirms or
declines. The new insurer reads only what the offer names; another insurer's handover answers 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from api.errors import ApiError
from api.permissions import IsInsurerStaff, OwnToken
from api.schema import id_param, read_responses, write_responses
from api.views.common import ApiView, get_scoped, valid
from flags.handover import (
    confirm_handover,
    decline_handover,
    handovers_received,
    offer_handover,
)
from flags.models import ProtectionCase
from institutions.models import Institution, Role

TAGS = ["引継ぎ"]
OFFER_NOTICE = ("引継ぎ先では、本人が被保険者である（又は加入した）時点で保護が仮設定されます（引継ぎによる仮設定）。"
                "引継ぎ先の責任者が確認するよう、すぐに引継ぎ先へ連絡してください。")


class IsOverseerOrDecider(IsInsurerStaff):
    """Reads: 責任者 and 監査者; decisions: 責任者 only."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        allowed = (Role.SUPERVISOR, Role.AUDITOR) if request.method in SAFE_METHODS else (Role.SUPERVISOR,)
        if request.user.role in allowed:
            return True
        self.message = "引継ぎの確認は責任者が行います。"
        return False


class HandoverOut(serializers.Serializer):
    """引継ぎ（引継ぎ先に見える項目のみ）."""

    id = serializers.IntegerField(help_text="引継ぎID")
    person_sim_id = serializers.CharField(source="person.sim_id", help_text="本人の個人識別子")
    person_name = serializers.CharField(source="person.name", help_text="本人の氏名")
    kinds = serializers.ListField(child=serializers.CharField(), help_text="引き継ぐ設定の種別")
    linked_persons = serializers.SerializerMethodField(help_text="要注意照会対象者の個人識別子")
    review_on = serializers.DateField(help_text="見直し日")
    consent_on = serializers.DateField(help_text="本人の同意を確認した日")
    state = serializers.CharField(help_text="pending 確認待ち・confirmed 引継ぎ済・declined 辞退")
    decline_reason = serializers.CharField(help_text="辞退の理由")
    new_case = serializers.IntegerField(source="new_case_id", allow_null=True,
                                        help_text="引継ぎ先の設定対象者ID（加入の時点で仮設定され、確認前から入る）")
    # What of the old case travels (issue 17 point 2); nothing else of it.
    requested_by_person = serializers.BooleanField(help_text="ウ 本人からの申出あり")
    need_evident = serializers.BooleanField(help_text="申出はないが設定を要することが明らか")
    request_date = serializers.DateField(allow_null=True, help_text="申出日")
    case_card_or_proxy = serializers.BooleanField(help_text="ケース① カードが加害者の手元にある／加害者が代理人")
    case_inquiry_about_abuser = serializers.BooleanField(help_text="ケース② 加害者に係る情報照会を行う")
    card_suspension_advised_on = serializers.DateField(allow_null=True, help_text="カード停止を案内した日")
    card_suspension_confirmed_on = serializers.DateField(allow_null=True, help_text="カード停止の完了を確認した日")
    card_suspension_not_applicable = serializers.BooleanField(help_text="カード停止は対象外（代理人設定のみが問題）")
    card_suspension_not_applicable_reason = serializers.CharField(help_text="カード停止を対象外とする理由")
    proxy_cancel_advised_on = serializers.DateField(allow_null=True, help_text="代理人設定の解除を案内した日")
    proxy_cancel_confirmed_on = serializers.DateField(allow_null=True, help_text="代理人設定の解除を確認した日")
    number_change_advised_on = serializers.DateField(allow_null=True, help_text="個人番号の変更・カード再交付を案内した日")
    number_change_confirmed_on = serializers.DateField(allow_null=True,
                                                       help_text="個人番号の変更・カード再交付の完了を確認した日")

    def get_linked_persons(self, obj) -> list[str]:
        return [p.sim_id for p in obj.linked_persons.all()]


class HandoverOfferOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="引継ぎID")
    state = serializers.CharField(help_text="pending 確認待ち")
    warning = serializers.CharField(help_text="引継ぎ先での仮設定と、引継ぎ先への連絡のお願い")


class OfferHandoverView(ApiView):
    """引継ぎの申出: 資格喪失が記録された設定対象者の保護を、本人の同意を得て他のNakama利用保険者へ引き継ぐ."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        to_institution = serializers.IntegerField(help_text="引継ぎ先の保険者ID（この中間サーバーの利用者）")
        consent_on = serializers.DateField(help_text="本人の同意を確認した日")

    @extend_schema(summary="引継ぎの申出", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(HandoverOfferOut, status=201, extra=(409,)), tags=TAGS)
    def post(self, request, pk: str):
        case = get_scoped(ProtectionCase.objects.visible_to(request.user).select_related("member"), pk=pk)
        data = valid(self.Input, request)
        to = Institution.objects.filter(pk=data["to_institution"]).first()
        if to is None:
            raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                           fields={"to_institution": ["引継ぎ先の保険者が見つかりません。"]})
        handover = offer_handover(actor=request.user, case=case, to_institution=to, consent_on=data["consent_on"])
        return Response({"id": handover.pk, "state": handover.state, "warning": OFFER_NOTICE},
                        status=status.HTTP_201_CREATED)


class HandoverListView(ApiView):
    """他の保険者からの引継ぎ（確認待ちが先）."""

    permission_classes = [IsOverseerOrDecider]

    class Output(serializers.Serializer):
        results = HandoverOut(many=True)

    @extend_schema(summary="引継ぎの一覧（引継ぎ先）", responses=read_responses(Output), tags=TAGS)
    def get(self, request):
        return Response({"results": HandoverOut(handovers_received(request.user)[:100], many=True).data})


class ConfirmHandoverView(ApiView):
    """引継ぎの確認（責任者）: 加入時に仮設定された設定対象者を当保険者の設定対象者とする."""

    permission_classes = [IsOverseerOrDecider, OwnToken]  # a decision: the decider's own token (issue 18 ③)

    class Input(serializers.Serializer):
        confirmed = serializers.BooleanField(help_text="内容を確認した（true）")

    @extend_schema(summary="引継ぎの確認", request=Input, parameters=[id_param("引継ぎID")],
                   responses=write_responses(HandoverOut, extra=(409,)), tags=TAGS)
    def post(self, request, pk: str):
        handover = get_scoped(handovers_received(request.user), pk=pk)
        data = valid(self.Input, request)
        if not data["confirmed"]:
            raise ApiError(code="invalid", message="入力内容に誤りがあります。",
                           fields={"confirmed": ["内容を確認のうえ true を指定してください。"]})
        confirm_handover(actor=request.user, handover=handover)
        handover.refresh_from_db()
        return Response(HandoverOut(handover).data)


class DeclineHandoverView(ApiView):
    """引継ぎの辞退（責任者、理由を添えて）: 仮設定された保護は残り、通常の解除（承認）でのみ外れる."""

    permission_classes = [IsOverseerOrDecider, OwnToken]

    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, help_text="辞退の理由")

    @extend_schema(summary="引継ぎの辞退", request=Input, parameters=[id_param("引継ぎID")],
                   responses=write_responses(HandoverOut, extra=(409,)), tags=TAGS)
    def post(self, request, pk: str):
        handover = get_scoped(handovers_received(request.user), pk=pk)
        data = valid(self.Input, request)
        handover = decline_handover(actor=request.user, handover=handover, reason=data["reason"])
        return Response(HandoverOut(handover).data)

