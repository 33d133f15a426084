"""/api/sim/: the simulated world over HTTP, so an outside client can replay 別紙3 from an empty database.

Off unless settings.NAKAMA_SIM_API (checked on every request: 404 while off). It needs no staff token — it stands
for the world outside the insurer (municipalities, persons, their cards, マイナポータル) — and creates staff tokens, so
every call carries the simulation key (settings.NAKAMA_SIM_KEY) in the X-Nakama-Sim-Key header (403 otherwise).
"""

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api import sim_services
from api.errors import ApiError
from api.permissions import HasSimKey
from api.schema import id_param, sim_responses, str_param
from api.views.common import ApiView, get_scoped, valid
from api.views.flag_settings import SETTING_KIND_CHOICES
from exchanges import nws
from exchanges.selectors import self_information
from exchanges.services import receive_inquiry
from flags.services import set_peer_setting
from institutions.models import Institution, InstitutionKind, Role
from members.models import InfoItem, Person, Procedure
from nakama.routers import replica_reads
from portal_sim import selectors as portal_selectors
from portal_sim.models import Card
from portal_sim.services import name_proxy, principals_of, reissue_card, remove_proxy, sign_in, suspend_card

TAGS = ["シミュレーション"]
NO_ANSWER = "回答なし"  # 別紙1 ※3


class SimView(ApiView):
    authentication_classes: list = []
    permission_classes = [HasSimKey]

    def initial(self, request, *args, **kwargs):
        if not settings.NAKAMA_SIM_API:
            raise Http404
        super().initial(request, *args, **kwargs)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(code="invalid", message="入力内容に誤りがあります。", fields={field: [message]})


def _person(sim_id: str, field: str = "sim_id") -> Person:
    person = Person.objects.filter(sim_id=(sim_id or "").strip().upper()).first()
    if person is None:
        raise _invalid(field, "入力された個人識別子に該当する個人が見つかりません。")
    return person


class DepartmentOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="部署ID")
    name = serializers.CharField(help_text="部署名")


class InstitutionSimOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="機関ID")
    name = serializers.CharField(help_text="名称")
    kind = serializers.CharField(help_text="種別")
    insurer_number = serializers.CharField(help_text="保険者番号（市町村は空）")
    is_tenant = serializers.BooleanField(help_text="Nakama利用保険者（職員がいる）")
    departments = serializers.SerializerMethodField(help_text="部署")

    def get_departments(self, obj) -> list[dict]:
        return [{"id": d.id, "name": d.name} for d in obj.departments.order_by("id")]


INSURER_KINDS = [(k.value, k.label) for k in InstitutionKind if k != InstitutionKind.MUNICIPALITY]


class CreateInsurerView(SimView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100, help_text="保険者名（例: Ａ健康保険組合）")
        kind = serializers.ChoiceField(choices=INSURER_KINDS, help_text="保険者の種別")
        # Digits stated in the schema (its pattern); the check digit (検証番号) is the service's to refuse.
        insurer_number = serializers.RegexField(r"^[0-9]{6}([0-9]{2})?$", max_length=8,
                                                help_text="保険者番号（検証番号つき、8桁。国保は6桁）")
        departments = serializers.ListField(child=serializers.CharField(min_length=1, max_length=100), min_length=1,
                                            max_length=20,
                                            help_text="部署名（例: 業務部）")
        is_tenant = serializers.BooleanField(default=True, help_text="Nakama利用保険者なら true（他の保険者は false）")

    @extend_schema(summary="保険者（部署つき）の作成", request=Input,
                   responses=sim_responses(InstitutionSimOut, status=201), tags=TAGS)
    def post(self, request):
        data = valid(self.Input, request)
        institution = sim_services.create_insurer(**data)
        return Response(InstitutionSimOut(institution).data, status=status.HTTP_201_CREATED)


class CreateMunicipalityView(SimView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100, help_text="市町村名（例: 甲市）")
        departments = serializers.ListField(child=serializers.CharField(min_length=1, max_length=100), min_length=1,
                                            max_length=20,
                                            help_text="部署名（例: 税務課）")

    @extend_schema(summary="市町村（自治体中間サーバー）の作成", request=Input,
                   responses=sim_responses(InstitutionSimOut, status=201), tags=TAGS)
    def post(self, request):
        data = valid(self.Input, request)
        institution = sim_services.create_municipality(**data)
        return Response(InstitutionSimOut(institution).data, status=status.HTTP_201_CREATED)


class CreateStaffView(SimView):
    throttle_scope = "token"  # creates an API token; per client address
    class Input(serializers.Serializer):
        username = serializers.RegexField(r"^[\w.@+-]{1,150}$", help_text="ユーザー名")
        display_name = serializers.CharField(max_length=100, help_text="氏名")
        department = serializers.CharField(max_length=100, help_text="部署名（保険者の部署）")
        role = serializers.ChoiceField(choices=Role.values, help_text="役割: clerk=担当者, supervisor=責任者, auditor=監査者")
        password = serializers.CharField(max_length=128, required=False, allow_blank=True, default="",
                                         help_text="職員画面のパスワード（省略時は画面ログイン不可）")

    class Output(serializers.Serializer):
        username = serializers.CharField(help_text="ユーザー名")
        role = serializers.CharField(help_text="役割")
        token = serializers.CharField(help_text="APIトークン（この応答でのみ表示。保存はハッシュのみ）")

    @extend_schema(summary="職員の作成（APIトークンを発行）", request=Input, parameters=[id_param("保険者の機関ID")], responses=sim_responses(Output, status=201),
                   tags=TAGS)
    def post(self, request, pk: str):
        institution = get_scoped(Institution.objects.insurers().tenants(), pk=pk)
        data = valid(self.Input, request)
        staff, token = sim_services.create_staff(
            institution=institution, username=data["username"], display_name=data["display_name"],
            department_name=data["department"], role=data["role"], password=data["password"] or None,
        )
        return Response({"username": staff.username, "role": staff.role, "token": token}, status=status.HTTP_201_CREATED)


class PersonOut(serializers.Serializer):
    sim_id = serializers.CharField(help_text="個人識別子")
    name = serializers.CharField(help_text="氏名")
    card_number = serializers.CharField(allow_null=True, help_text="マイナンバーカードのカード識別子（カードなしは null）")


class CreatePersonView(SimView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100, help_text="氏名")
        kana = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", help_text="カナ氏名")
        birth_date = serializers.DateField(required=False, allow_null=True, default=None, help_text="生年月日")
        sim_id = serializers.RegexField(r"^SIM-[A-Z-]{1,16}$", required=False,
                                        help_text="個人識別子（省略時は自動。英大文字のみで個人番号に見えない）")
        pin = serializers.RegexField(r"^[0-9]{4}$", required=False,
                                     help_text="マイナンバーカードを交付する場合の暗証番号（数字4桁）")

    @extend_schema(summary="個人の作成（カードつき）", request=Input, responses=sim_responses(PersonOut, status=201),
                   tags=TAGS)
    def post(self, request):
        data = valid(self.Input, request)
        if data.get("sim_id") and Person.objects.filter(sim_id=data["sim_id"]).exists():
            raise _invalid("sim_id", "この個人識別子はすでに使われています。")
        person, card = sim_services.create_person(**data)
        return Response({"sim_id": person.sim_id, "name": person.name, "card_number": card.card_number if card else None},
                        status=status.HTTP_201_CREATED)


class EnrolPersonView(SimView):
    class Input(serializers.Serializer):
        insurer = serializers.IntegerField(help_text="加入する保険者の機関ID")
        branch_number = serializers.RegexField(r"^[0-9A-Za-z-]{1,20}$", help_text="被保険者枝番")
        symbol_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                              help_text="記号・番号")
        acquired_on = serializers.DateField(help_text="資格取得日")
        register_eligibility = serializers.BooleanField(default=True,
                                                        help_text="医療保険資格関係情報の副本（保険者名称つき）を登録する")

    class Output(serializers.Serializer):
        sim_id = serializers.CharField(help_text="個人識別子")
        insurer = serializers.IntegerField(help_text="保険者の機関ID")
        branch_number = serializers.CharField(help_text="被保険者枝番")

    @extend_schema(summary="個人を保険者に加入させる", request=Input, parameters=[str_param("sim_id", "個人識別子")], responses=sim_responses(Output, status=201),
                   tags=TAGS)
    def post(self, request, sim_id: str):
        person = get_scoped(Person.objects.all(), sim_id=sim_id.upper())
        data = valid(self.Input, request)
        insurer = Institution.objects.insurers().filter(pk=data.pop("insurer")).first()
        if insurer is None:
            raise _invalid("insurer", "保険者が見つかりません。")
        member = sim_services.enrol_person(insurer=insurer, person=person, **data)
        return Response({"sim_id": person.sim_id, "insurer": insurer.pk, "branch_number": member.branch_number},
                        status=status.HTTP_201_CREATED)


class PeerReplicaView(SimView):
    class Input(serializers.Serializer):
        sim_id = serializers.CharField(max_length=20, help_text="個人識別子")
        item = serializers.SlugRelatedField(slug_field="code", queryset=InfoItem.objects.all(),
                                            help_text="特定個人情報のコード")
        content = serializers.DictField(help_text="副本の内容")

    class Output(serializers.Serializer):
        registered = serializers.BooleanField(help_text="登録した")

    @extend_schema(summary="他機関（市町村など）の副本登録", request=Input, parameters=[id_param("機関ID（Nakama利用保険者以外）")], responses=sim_responses(Output, status=201),
                   tags=TAGS)
    def post(self, request, pk: str):
        institution = get_scoped(Institution.objects.filter(is_tenant=False), pk=pk)
        data = valid(self.Input, request)
        sim_services.register_peer_replica(institution=institution, person=_person(data["sim_id"]), item=data["item"],
                                           content=data["content"])
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

    @extend_schema(summary="他機関からの情報照会", request=Input, parameters=[id_param("照会する機関ID（Nakama利用保険者以外）")], responses=sim_responses(SimExchangeOut, status=201),
                   tags=TAGS)
    def post(self, request, pk: str):
        inquirer = get_scoped(Institution.objects.filter(is_tenant=False), pk=pk)
        data = valid(self.Input, request)
        department = None
        if data["department"]:
            department = inquirer.departments.filter(name=data["department"]).first()
            if department is None:
                raise _invalid("department", "この機関にその部署はありません。")
        provider = Institution.objects.filter(pk=data["provider"]).first()
        if provider is None:
            raise _invalid("provider", "照会先の機関が見つかりません。")
        record = receive_inquiry(inquirer=inquirer, department=department, provider=provider,
                                 subject=_person(data["sim_id"]), procedure=data["procedure"], item=data["item"],
                                 nondisclosure_code=data["nondisclosure_code"])
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

    @extend_schema(summary="他機関のフラグ設定", request=Input, parameters=[id_param("機関ID（Nakama利用保険者以外）")], responses=sim_responses(Output, status=201), tags=TAGS)
    def post(self, request, pk: str):
        institution = get_scoped(Institution.objects.filter(is_tenant=False), pk=pk)
        data = valid(self.Input, request)
        setting = set_peer_setting(institution=institution, person=_person(data["sim_id"]), kind=data["kind"],
                                   reason=data["reason"], item=data.get("item"))
        return Response({"kind": setting.kind, "active": setting.is_active}, status=status.HTTP_201_CREATED)


class CardOut(serializers.Serializer):
    card_number = serializers.CharField(help_text="カード識別子")
    usable = serializers.BooleanField(help_text="利用できる（停止・ロック・失効していない）")


class SuspendCardView(SimView):
    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="停止の理由")

    @extend_schema(summary="カード停止", request=Input, parameters=[str_param("card_number", "カード識別子")], responses=sim_responses(CardOut), tags=TAGS)
    def post(self, request, card_number: str):
        card = get_scoped(Card.objects.all(), card_number=card_number)
        data = valid(self.Input, request)
        card = suspend_card(card=card, reason=data["reason"])
        return Response({"card_number": card.card_number, "usable": card.usable})


class ReissueCardView(SimView):
    class Input(serializers.Serializer):
        pin = serializers.RegexField(r"^[0-9]{4}$", help_text="新しいカードの暗証番号（数字4桁）")

    @extend_schema(summary="カード再交付（旧カードは失効）", request=Input, parameters=[str_param("sim_id", "個人識別子")], responses=sim_responses(CardOut, status=201),
                   tags=TAGS)
    def post(self, request, sim_id: str):
        person = get_scoped(Person.objects.all(), sim_id=sim_id.upper())
        data = valid(self.Input, request)
        card = reissue_card(person=person, pin=data["pin"])
        return Response({"card_number": card.card_number, "usable": card.usable}, status=status.HTTP_201_CREATED)


class CardCredentials(serializers.Serializer):
    card_number = serializers.CharField(max_length=32, help_text="カード識別子")
    pin = serializers.CharField(max_length=8, help_text="暗証番号（数字4桁）")


class ProxyIn(CardCredentials):
    agent_sim_id = serializers.CharField(max_length=20, help_text="代理人の個人識別子")


class ProxyOut(serializers.Serializer):
    agent_sim_id = serializers.CharField(help_text="代理人の個人識別子")
    active = serializers.BooleanField(help_text="代理人設定が有効")


class NameProxyView(SimView):
    """本人がカードでサインインして代理人を設定する."""

    throttle_scope = "portal"  # card + PIN: per client address, like the portal sign-in page

    @extend_schema(summary="代理人の設定", request=ProxyIn, responses=sim_responses(ProxyOut, status=201, extra=(403,)),
                   tags=TAGS)
    def post(self, request):
        data = valid(ProxyIn, request)
        card = sign_in(card_number=data["card_number"], pin=data["pin"])
        agent = _person(data["agent_sim_id"], "agent_sim_id")
        name_proxy(principal=card.person, agent=agent)
        return Response({"agent_sim_id": agent.sim_id, "active": True}, status=status.HTTP_201_CREATED)


class RemoveProxyView(SimView):
    """本人がカードでサインインして代理人設定を解除する（本人のみが解除できる）."""

    throttle_scope = "portal"  # card + PIN: per client address, like the portal sign-in page

    @extend_schema(summary="代理人設定の解除", request=ProxyIn, responses=sim_responses(ProxyOut, extra=(403,)),
                   tags=TAGS)
    def post(self, request):
        data = valid(ProxyIn, request)
        card = sign_in(card_number=data["card_number"], pin=data["pin"])
        agent = _person(data["agent_sim_id"], "agent_sim_id")
        remove_proxy(principal=card.person, agent=agent)
        return Response({"agent_sim_id": agent.sim_id, "active": False})


class PersonRef(serializers.Serializer):
    sim_id = serializers.CharField(help_text="個人識別子")
    name = serializers.CharField(help_text="氏名")


class SelfInfoRowOut(serializers.Serializer):
    item_name = serializers.CharField(help_text="特定個人情報名")
    content = serializers.JSONField(help_text="内容（副本）")


class SelfInfoSectionOut(serializers.Serializer):
    section = serializers.CharField(help_text="表示区分（例: 健康保険）")
    rows = SelfInfoRowOut(many=True, help_text="表示される情報")
    message = serializers.CharField(help_text="表示する情報がないときは「回答なし」（提供不可と情報なしは区別されない）")


class HistoryRowOut(serializers.Serializer):
    inquired_at = serializers.DateTimeField(help_text="照会日時")
    provided_at = serializers.DateTimeField(help_text="提供日時")
    procedure = serializers.CharField(help_text="事務名")
    item = serializers.CharField(help_text="特定個人情報名")
    inquirer = serializers.CharField(help_text="照会機関（中間サーバー利用保険者は「社会保険診療報酬支払基金」）")
    inquirer_department = serializers.CharField(help_text="情報照会者部署名（例: 「Ａ健康保険組合 業務部」）")
    provider = serializers.CharField(help_text="提供機関")


class PortalOut(serializers.Serializer):
    viewer = PersonRef(help_text="サインインしたカードの持ち主")
    subject = PersonRef(help_text="表示している本人（代理人として見ている場合は本人）")
    as_proxy = serializers.BooleanField(help_text="代理人として閲覧している")
    can_act_for = PersonRef(many=True, help_text="代理人として閲覧できる本人")
    self_information = SelfInfoSectionOut(many=True, help_text="自己情報（あなたの情報）")
    history = HistoryRowOut(many=True, help_text="やりとり履歴の1ページ（新しい順、最大50件。件数は示さない）")
    next_cursor = serializers.CharField(help_text="次の（より古い）ページを読むときに cursor に渡す値。最後のページでは空")


class PortalView(SimView):
    """マイナポータル（JSON）: カードと暗証番号でサインインし、自己情報とやりとり履歴を見る（代理人としても）."""

    throttle_scope = "portal"  # card + PIN: per client address, like the portal sign-in page

    class Input(CardCredentials):
        principal_sim_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                                 help_text="代理人として閲覧する本人の個人識別子（省略時は自分）")
        cursor = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                       help_text="やりとり履歴の続き（前の応答の next_cursor）。省略時は最新から")

    @extend_schema(summary="マイナポータル（自己情報・やりとり履歴）", request=Input,
                   responses=sim_responses(PortalOut, extra=(403,)), tags=TAGS)
    def post(self, request):
        data = valid(self.Input, request)
        card = sign_in(card_number=data["card_number"], pin=data["pin"])
        viewer = card.person
        principals = principals_of(viewer)
        subject = viewer
        if data["principal_sim_id"]:
            wanted = data["principal_sim_id"].strip().upper()
            subject = next((p for p in principals if p.sim_id == wanted), None)
            if subject is None:
                raise ApiError(code="not_proxy", message="この方の代理人として設定されていません。", status_code=403)
        # The card and the proxy relation were checked on the primary (a suspension counts at once); what the portal
        # shows may come from the synchronous standby, as the portal pages read it (nakama.routers).
        with replica_reads():
            sections = self_information(person=subject)
            # One keyset page, as the portal page reads it: thousands of records cost what three do.
            page = portal_selectors.history(person=subject, cursor=data["cursor"])
        body = {
            "viewer": {"sim_id": viewer.sim_id, "name": viewer.name},
            "subject": {"sim_id": subject.sim_id, "name": subject.name},
            "as_proxy": subject.pk != viewer.pk,
            "can_act_for": [{"sim_id": p.sim_id, "name": p.name} for p in principals],
            "self_information": [
                {
                    "section": section,
                    "rows": [{"item_name": r.item_name, "content": r.content} for r in rows],
                    "message": "" if rows else NO_ANSWER,
                }
                for section, rows in sections.items()
            ],
            "history": [
                {
                    "inquired_at": r.inquired_at,
                    "provided_at": r.provided_at,
                    "procedure": r.procedure.name,
                    "item": r.item.name,
                    "inquirer": r.inquirer_display,
                    "inquirer_department": r.inquirer_department_display,
                    "provider": r.provider_display,
                }
                for r in page.records
            ],
            "next_cursor": page.next_cursor,
        }
        return Response(PortalOut(body).data)


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
