"""/api/sim/: the person's side — マイナンバーカード (suspension, reissue), 代理人 and マイナポータル (JSON)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import ApiError
from api.schema import sim_responses, str_param
from api.views.common import get_scoped, valid
from api.views.sim.base import TAGS, SimView, person_by_sim_id
from exchanges.selectors import self_information
from members.models import Person
from nakama.routers import replica_reads
from portal_sim import selectors as portal_selectors
from portal_sim.models import Card
from portal_sim.services import name_proxy, principals_of, reissue_card, remove_proxy, sign_in, suspend_card

NO_ANSWER = "回答なし"  # 別紙1 ※3


class CardOut(serializers.Serializer):
    card_number = serializers.CharField(help_text="カード識別子")
    usable = serializers.BooleanField(help_text="利用できる（停止・ロック・失効していない）")


class SuspendCardView(SimView):
    class Input(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                       help_text="停止の理由")

    @extend_schema(summary="カード停止", request=Input,
                   parameters=[str_param("card_number", "カード識別子")], responses=sim_responses(CardOut), tags=TAGS)
    def post(self, request, card_number: str):
        card = get_scoped(Card.objects.all(), card_number=card_number)
        data = valid(self.Input, request)
        card = suspend_card(card=card, reason=data["reason"])
        return Response({"card_number": card.card_number, "usable": card.usable})


class ReissueCardView(SimView):
    class Input(serializers.Serializer):
        pin = serializers.RegexField(r"^[0-9]{4}$", help_text="新しいカードの暗証番号（数字4桁）")

    @extend_schema(summary="カード再交付（旧カードは失効）", request=Input,
                   parameters=[str_param("sim_id", "個人識別子")], responses=sim_responses(CardOut, status=201),
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
        agent = person_by_sim_id(data["agent_sim_id"], "agent_sim_id")
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
        agent = person_by_sim_id(data["agent_sim_id"], "agent_sim_id")
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
