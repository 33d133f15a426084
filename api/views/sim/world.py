"""/api/sim/: the institutions (insurers with departments, municipalities), their staff, persons and enrolments."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api import sim_services
from api.schema import id_param, sim_responses, str_param
from api.views.common import get_scoped, valid
from api.views.sim.base import TAGS, SimView, invalid
from institutions.models import Institution, InstitutionKind, Role
from members.models import Person


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

    @extend_schema(summary="職員の作成（APIトークンを発行）", request=Input,
                   parameters=[id_param("保険者の機関ID")], responses=sim_responses(Output, status=201),
                   tags=TAGS)
    def post(self, request, pk: str):
        institution = get_scoped(Institution.objects.insurers().tenants(), pk=pk)
        data = valid(self.Input, request)
        staff, token = sim_services.create_staff(
            institution=institution, username=data["username"], display_name=data["display_name"],
            department_name=data["department"], role=data["role"], password=data["password"] or None,
        )
        return Response({"username": staff.username, "role": staff.role, "token": token},
                        status=status.HTTP_201_CREATED)


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
            raise invalid("sim_id", "この個人識別子はすでに使われています。")
        person, card = sim_services.create_person(**data)
        card_number = card.card_number if card else None
        return Response({"sim_id": person.sim_id, "name": person.name, "card_number": card_number},
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

    @extend_schema(summary="個人を保険者に加入させる", request=Input,
                   parameters=[str_param("sim_id", "個人識別子")], responses=sim_responses(Output, status=201),
                   tags=TAGS)
    def post(self, request, sim_id: str):
        person = get_scoped(Person.objects.all(), sim_id=sim_id.upper())
        data = valid(self.Input, request)
        insurer = Institution.objects.insurers().filter(pk=data.pop("insurer")).first()
        if insurer is None:
            raise invalid("insurer", "保険者が見つかりません。")
        member = sim_services.enrol_person(insurer=insurer, person=person, **data)
        return Response({"sim_id": person.sim_id, "insurer": insurer.pk, "branch_number": member.branch_number},
                        status=status.HTTP_201_CREATED)
