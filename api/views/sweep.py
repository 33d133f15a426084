"""Exposure sweep over the API (issue 11 points 1 and 4): the records still shown in マイナポータル that would tell
the wrong person where she is, and one 追記依頼 for each chosen record with one reason. A line whose 追記依頼 NWS
turned down says so (status rejected, with NWS's reason) and is filed again the same way (issue 17 point 4). Scoped
like the console: another insurer's case answers 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.permissions import IsInsurerStaff
from api.schema import id_param, read_responses, write_responses
from api.serializers import AppendRequestOut
from api.views.common import ApiView, get_scoped, valid
from exchanges.sweep import LINKED, exposure_sweep, file_sweep_append_requests
from flags import selectors as flag_selectors
from flags.links import record_links_viewed
from flags.models import ProtectionCase

TAGS = ["設定対象者"]


class SweepLineOut(serializers.Serializer):
    """表示されたままの記録の1行."""

    record = serializers.UUIDField(source="record.pk", help_text="情報提供等記録ID")
    about = serializers.ChoiceField(choices=["her", "companion", "linked"],
                                    help_text="her: 本人の記録 / companion: 同伴者の記録 / linked: 要注意照会対象者の記録")
    person_sim_id = serializers.CharField(source="person.sim_id", help_text="やりとり履歴に表示される人の個人識別子")
    who_can_see = serializers.CharField(help_text="見ることができる人")
    reveals = serializers.CharField(help_text="表示される内容（照会機関・部署・提供機関）")
    pending_append_request = serializers.UUIDField(
        source="pending.pk", allow_null=True, default=None, help_text="情報提供NWSの処理待ちの追記依頼（あれば選択不可）"
    )
    selectable = serializers.BooleanField(help_text="追記依頼を行える")
    status = serializers.ChoiceField(
        choices=["new", "pending", "rejected"],
        help_text="new: 未依頼 / pending: 依頼中（情報提供NWSの処理待ち） / rejected: 差戻し（再依頼が必要。選択すると再依頼）",
    )
    rejected_append_request = serializers.UUIDField(
        source="rejected.pk", allow_null=True, default=None, help_text="差し戻された追記依頼（差戻しの場合）"
    )
    rejection_reason = serializers.CharField(
        source="rejected.rejection_reason", allow_null=True, default=None, help_text="情報提供NWSの差戻し理由"
    )
    rejected_at = serializers.DateTimeField(
        source="rejected.processed_at", allow_null=True, default=None, help_text="差戻しの日時"
    )


class SweepOut(serializers.Serializer):
    results = SweepLineOut(many=True)


def _case(request, pk):
    return get_scoped(ProtectionCase.objects.visible_to(request.user).select_related("member__person"), pk=pk)


def _audit_links(request, case, lines) -> None:
    linked = {line.person.pk for line in lines if line.about == LINKED}
    if linked:
        links = [link for link in flag_selectors.links_of(request.user, case) if link.person_id in linked]
        record_links_viewed(actor=request.user, case=case, links=links, channel="API（表示中の記録）")


class ExposureSweepView(ApiView):
    """表示されたままの記録: 自保険者が関与し、マイナポータルに表示されていて、居場所を知らせるおそれのある記録."""

    permission_classes = [IsInsurerStaff]

    @extend_schema(summary="表示されたままの記録（露出の洗い出し）", parameters=[id_param("設定対象者ID")],
                   responses=read_responses(SweepOut), tags=TAGS)
    def get(self, request, pk: str):
        case = _case(request, pk)
        lines = exposure_sweep(user=request.user, case=case) if case.is_open else []
        _audit_links(request, case, lines)
        return Response({"results": SweepLineOut(lines, many=True).data})


class ExposureSweepAppendView(ApiView):
    """表示されたままの記録の一括追記依頼: 選んだ記録ごとに1件、共通の理由で（全件か、何もしないか）."""

    permission_classes = [IsInsurerStaff]

    class Input(serializers.Serializer):
        records = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=500,
                                        help_text="追記依頼を行う記録のID（表示されたままの記録の一覧から）")
        reason = serializers.CharField(max_length=2000, help_text="追記依頼の理由（共通）")

    class Output(serializers.Serializer):
        append_requests = AppendRequestOut(many=True)

    @extend_schema(summary="表示されたままの記録の一括追記依頼", request=Input, parameters=[id_param("設定対象者ID")],
                   responses=write_responses(Output, status=201, extra=(409,)), tags=TAGS)
    def post(self, request, pk: str):
        case = _case(request, pk)
        data = valid(self.Input, request)
        filed = file_sweep_append_requests(actor=request.user, case=case, record_ids=data["records"],
                                           reason=data["reason"])
        return Response({"append_requests": AppendRequestOut(filed, many=True).data}, status=status.HTTP_201_CREATED)
