"""/api/sim/: the servers outside Nakama — other institutions (副本, inquiries, their own flags) and the 情報提供NWS."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api import sim_services
from api.schema import id_param, sim_responses
from api.views.common import get_scoped, valid
from api.views.flag_settings import SETTING_KIND_CHOICES
from api.views.sim.base import TAGS, SimView, invalid, person_by_sim_id
from exchanges import nws
from exchanges.services import receive_inquiry
from flags.services import set_peer_setting
from institutions.models import Institution
from members.models import InfoItem, Procedure


class PeerReplicaView(SimView):
    class Input(serializers.Serializer):
        sim_id = serializers.CharField(max_length=20, help_text="個人識別子")
        item = serializers.SlugRelatedField(slug_field="code", queryset=InfoItem.objects.all(),
                                            help_text="特定個人情報のコード")
        content = serializers.DictField(help_text="副本の内容")

    class Output(serializers.Serializer):
        registered = serializers.BooleanField(help_text="登録した")

    @extend_schema(summary="他機関（市町村など）の副本登録", request=Input,
                   parameters=[id_param("機関ID（Nakama利用保険者以外）")], responses=sim_responses(Output, status=201),
                   tags=TAGS)
    def post(self, request, pk: str):
        institution = get_scoped(Institution.objects.filter(is_tenant=False), pk=pk)
        data = valid(self.Input, request)
        sim_services.register_peer_replica(institution=institution, person=person_by_sim_id(data["sim_id"]),
                                           item=data["item"], content=data["content"])
        return Response({"registered": True}, status=status.HTTP_201_CREATED)


class SimExchangeOut(serializers.Serializer):
    id = serializers.UUIDField(help_text="記録ID")
    state = serializers.CharField(help_text="状態: provided=提供済, manual=手動応答待ち など")
    inquiry_code = serializers.BooleanField(help_text="不開示コード（照会時）")
    provision_code = serializers.BooleanField(help_text="不開示コード（提供時）")
    handle_with_care = serializers.BooleanField(help_text="取り扱い注意")
    provided_content = serializers.JSONField(allow_null=True, help_text="提供内容")


class PeerInquiryView(SimView):
    """他機関（市町村など）が、自機関のサーバーの規則で情報照会する（自治体中間サーバーは照会時に自動不開示コードを付けない）."""

    class Input(serializers.Serializer):
        department = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                           help_text="照会する部署名")
        provider = serializers.IntegerField(help_text="照会先の機関ID")
        sim_id = serializers.CharField(max_length=20, help_text="対象者の個人識別子")
        procedure = serializers.SlugRelatedField(slug_field="code", queryset=Procedure.objects.all(),
                                                 help_text="事務のコード")
        item = serializers.SlugRelatedField(slug_field="code", queryset=InfoItem.objects.all(),
                                            help_text="特定個人情報のコード")
        nondisclosure_code = serializers.BooleanField(default=False, help_text="不開示コードを手動で設定する")

    @extend_schema(summary="他機関からの情報照会", request=Input,
                   parameters=[id_param("照会する機関ID（Nakama利用保険者以外）")],
                   responses=sim_responses(SimExchangeOut, status=201), tags=TAGS)
    def post(self, request, pk: str):
        inquirer = get_scoped(Institution.objects.filter(is_tenant=False), pk=pk)
        data = valid(self.Input, request)
        department = None
        if data["department"]:
            department = inquirer.departments.filter(name=data["department"]).first()
            if department is None:
                raise invalid("department", "この機関にその部署はありません。")
        provider = Institution.objects.filter(pk=data["provider"]).first()
        if provider is None:
            raise invalid("provider", "照会先の機関が見つかりません。")
        record = receive_inquiry(inquirer=inquirer, department=department, provider=provider,
                                 subject=person_by_sim_id(data["sim_id"]), procedure=data["procedure"],
                                 item=data["item"], nondisclosure_code=data["nondisclosure_code"])
        return Response(SimExchangeOut(record).data, status=status.HTTP_201_CREATED)


class PeerSettingView(SimView):
    """他機関（市町村）が自機関の不開示該当フラグ等を住民に設定する."""

    class Input(serializers.Serializer):
        sim_id = serializers.CharField(max_length=20, help_text="個人識別子")
        kind = serializers.ChoiceField(choices=SETTING_KIND_CHOICES, help_text="設定種別")
        item = serializers.SlugRelatedField(slug_field="code", queryset=InfoItem.objects.all(), required=False,
                                            allow_null=True, help_text="特定個人情報のコード（省略時は全体）")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="設定理由")

    class Output(serializers.Serializer):
        kind = serializers.CharField(help_text="設定種別")
        active = serializers.BooleanField(help_text="設定中")

    @extend_schema(summary="他機関のフラグ設定", request=Input,
                   parameters=[id_param("機関ID（Nakama利用保険者以外）")], responses=sim_responses(Output, status=201), tags=TAGS)
    def post(self, request, pk: str):
        institution = get_scoped(Institution.objects.filter(is_tenant=False), pk=pk)
        data = valid(self.Input, request)
        setting = set_peer_setting(institution=institution, person=person_by_sim_id(data["sim_id"]), kind=data["kind"],
                                   reason=data["reason"], item=data.get("item"))
        return Response({"kind": setting.kind, "active": setting.is_active}, status=status.HTTP_201_CREATED)


class NwsProcessAppendRequestsView(SimView):
    """情報提供NWSが追記依頼を処理する（既定: 依頼中をすべて処理済に。reject_id と reason で1件を差戻し）."""

    class Input(serializers.Serializer):
        reject_id = serializers.UUIDField(required=False, allow_null=True, default=None,
                                          help_text="差し戻す追記依頼のID（省略時は依頼中をすべて処理）")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="差戻しの理由")

    class Output(serializers.Serializer):
        processed = serializers.ListField(child=serializers.UUIDField(), help_text="処理済にした追記依頼のID")
        rejected = serializers.ListField(child=serializers.UUIDField(), help_text="差し戻した追記依頼のID")

    @extend_schema(summary="情報提供NWSによる追記依頼の処理", request=Input, responses=sim_responses(Output, extra=(409,)), tags=TAGS)
    def post(self, request):
        data = valid(self.Input, request)
        if data["reject_id"]:
            rejected = nws.reject_append_request(request_id=data["reject_id"], reason=data["reason"])
            return Response({"processed": [], "rejected": [str(rejected.pk)]})
        done = nws.process_pending_append_requests()
        return Response({"processed": [str(r.pk) for r in done], "rejected": []})
