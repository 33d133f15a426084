"""Output serializers shared by the /api/v1/ views. Inputs live beside their view (one per operation)."""

import copy

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEntry
from exchanges.models import AppendRequest, AppendRequestStatus, ExchangeRecord
from exchanges.selectors import is_shown_in_portal
from flags.card_gate import case_gate
from flags.models import (
    CaseClosure,
    CaseCompanion,
    CaseLinkedPerson,
    ClearingRequest,
    ClearingRequestState,
    CompanionRemovalRequest,
    LinkRemovalRequest,
    ProtectionCase,
    Setting,
)
from members.models import Member, Replica


class FieldsOnce:
    """Mixin: the serializer's fields built once per class, then copied per instance (issue 12 point 2).

    DRF builds every field again for each serializer instance (a deep copy of each declared field; a ModelSerializer
    also reads the model): on the inquiry POST a sixth of the request's CPU. A plain field needs only a shallow copy,
    since bind() sets what belongs to one instance on the copy; a nested serializer or list keeps DRF's deep copy.
    Only for serializers whose fields do not depend on the instance or its context.
    """

    def get_fields(self):
        cls = type(self)
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            cls._field_prototypes = prototypes
        return {
            name: copy.deepcopy(field) if isinstance(field, _NESTED) else _shallow_copy(field)
            for name, field in prototypes.items()
        }


def _shallow_copy(field):
    """copy.copy(field) without its __reduce_ex__ round (a field keeps its state in __dict__): a third of the cost."""
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


_NESTED = (serializers.BaseSerializer, serializers.ListField, serializers.DictField, serializers.ManyRelatedField)


class MemberOut(serializers.ModelSerializer):
    """被保険者."""

    branch_number = serializers.CharField(help_text="被保険者枝番（保険者内で一意。URLの識別子）")
    sim_id = serializers.CharField(source="person.sim_id", help_text="個人識別子（シミュレーション上の個人番号の代わり）")
    name = serializers.CharField(help_text="氏名")
    kana = serializers.CharField(help_text="カナ氏名")
    birth_date = serializers.DateField(help_text="生年月日")
    symbol_number = serializers.CharField(help_text="記号・番号")
    acquired_on = serializers.DateField(help_text="資格取得日")
    lost_on = serializers.DateField(allow_null=True, help_text="資格喪失日（未喪失は null）")

    class Meta:
        model = Member
        fields = ["branch_number", "sim_id", "name", "kana", "birth_date", "symbol_number", "acquired_on", "lost_on"]


class ReplicaOut(serializers.ModelSerializer):
    """副本."""

    item = serializers.CharField(source="item.code", help_text="特定個人情報のコード")
    item_name = serializers.CharField(source="item.name", help_text="特定個人情報名")
    content = serializers.JSONField(help_text="副本の内容")
    registered_at = serializers.DateTimeField(help_text="副本登録日時")

    class Meta:
        model = Replica
        fields = ["item", "item_name", "content", "registered_at"]


class SettingOut(serializers.ModelSerializer):
    """不開示該当フラグ・自己情報提供不可フラグ・自動応答不可フラグの設定."""

    id = serializers.IntegerField(help_text="設定ID")
    member = serializers.CharField(source="member.branch_number", help_text="被保険者枝番")
    kind = serializers.CharField(
        help_text="設定種別: non_disclosure=不開示該当フラグ, no_self_info=自己情報提供不可フラグ, no_auto_response=自動応答不可フラグ"
    )
    kind_label = serializers.CharField(source="get_kind_display", help_text="設定種別（日本語）")
    item = serializers.CharField(source="item.code", allow_null=True, default=None,
                                 help_text="特定個人情報単位の場合のコード（null は被保険者枝番単位＝全体）")
    scope_label = serializers.CharField(help_text="設定単位（「全体」または特定個人情報名）")
    active = serializers.BooleanField(source="is_active", help_text="設定中なら true、解除済なら false")
    source = serializers.CharField(help_text="設定経路（console=画面, case=設定対象者, api=API, import=CSV取込）")
    reason = serializers.CharField(help_text="設定理由")
    set_at = serializers.DateTimeField(help_text="設定日時")
    set_by_name = serializers.CharField(help_text="設定者名")
    cleared_at = serializers.DateTimeField(allow_null=True, help_text="解除日時")
    cleared_by_name = serializers.CharField(help_text="解除者（解除を承認した責任者）")
    clear_requested_by_name = serializers.CharField(help_text="解除依頼者")
    clear_reason = serializers.CharField(help_text="解除理由")
    case = serializers.IntegerField(source="case_id", allow_null=True, help_text="設定対象者（保護ケース）ID")

    class Meta:
        model = Setting
        fields = ["id", "member", "kind", "kind_label", "item", "scope_label", "active", "source", "reason", "set_at",
                  "set_by_name", "cleared_at", "cleared_by_name", "clear_requested_by_name", "clear_reason", "case"]


class FourEyesRequestOut(serializers.ModelSerializer):
    """What every four-eyes request shows (institutions.models.FourEyesRequest): its state, who asked and when, who
    decided — a 責任者 independent of the requester by provenance, with his own token — when and with what note."""

    state = serializers.CharField(help_text="状態: pending=承認待ち, approved=承認済, rejected=却下")
    state_label = serializers.CharField(source="get_state_display", help_text="状態（日本語）")
    requested_at = serializers.DateTimeField(help_text="依頼日時")
    requested_by_name = serializers.CharField(help_text="依頼者名")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="承認・却下日時")
    decided_by_name = serializers.CharField(help_text="承認者名")
    decision_note = serializers.CharField(help_text="承認・却下メモ")

    FIELDS = ["state", "state_label", "requested_at", "requested_by_name", "decided_at", "decided_by_name",
              "decision_note"]


class FourEyesDecisionIn(serializers.Serializer):
    """The body of every four-eyes decision (承認・却下): one shape, one rule (institutions.access)."""

    approve = serializers.BooleanField(help_text="true: 承認, false: 却下")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 help_text="承認・却下メモ")


class ClearingRequestOut(FourEyesRequestOut):
    """解除依頼（責任者が、依頼者と別の人として承認する: 四つの目）."""

    id = serializers.IntegerField(help_text="解除依頼ID")
    setting = serializers.IntegerField(source="setting_id", help_text="設定ID")
    reason = serializers.CharField(help_text="解除理由")
    override_reason = serializers.CharField(help_text="カード停止等手続の完了前に責任者が解除を依頼した理由（空欄はなし）")
    override_by_name = serializers.CharField(help_text="手続完了前の解除を判断した責任者")

    class Meta:
        model = ClearingRequest
        fields = ["id", "setting", "reason", *FourEyesRequestOut.FIELDS, "override_reason", "override_by_name"]


class CaseClosureOut(FourEyesRequestOut):
    """設定対象者の終了依頼（責任者が、依頼者と別の人として承認する: 四つの目）."""

    id = serializers.IntegerField(help_text="終了依頼ID")
    case = serializers.IntegerField(source="case_id", help_text="設定対象者ID")
    reason = serializers.CharField(help_text="終了理由")
    clear_settings = serializers.BooleanField(help_text="この設定対象者で設定した有効なフラグを、承認と同時に解除する")
    override_reason = serializers.CharField(help_text="カード停止等手続の完了前に責任者が解除を判断した理由")
    state = serializers.CharField(help_text="状態: pending=承認待ち, approved=承認済（終了）, rejected=却下")

    class Meta:
        model = CaseClosure
        fields = ["id", "case", "reason", "clear_settings", "override_reason", *FourEyesRequestOut.FIELDS]


class LinkedPersonOut(serializers.ModelSerializer):
    """要注意照会対象者（加害者など）. この方に係る自保険者の情報照会には不開示コードが自動で付く（設定対象者が対応中の間）."""

    id = serializers.IntegerField(help_text="要注意照会対象者ID")
    case = serializers.IntegerField(source="case_id", help_text="設定対象者ID")
    sim_id = serializers.CharField(source="person.sim_id", help_text="個人識別子")
    name = serializers.CharField(source="person.name", help_text="氏名")
    reason = serializers.CharField(help_text="登録理由")
    added_at = serializers.DateTimeField(help_text="登録日時")
    added_by_name = serializers.CharField(help_text="登録者名")
    in_force = serializers.BooleanField(source="is_in_force", help_text="登録中なら true（削除済は false）")
    removed_at = serializers.DateTimeField(allow_null=True, help_text="削除日時（削除依頼の承認時）")

    class Meta:
        model = CaseLinkedPerson
        fields = ["id", "case", "sim_id", "name", "reason", "added_at", "added_by_name", "in_force", "removed_at"]


class LinkRemovalOut(FourEyesRequestOut):
    """要注意照会対象者の削除依頼（依頼者以外の責任者が承認する: 四つの目）."""

    id = serializers.IntegerField(help_text="削除依頼ID")
    link = serializers.IntegerField(source="link_id", help_text="要注意照会対象者ID")
    case = serializers.IntegerField(source="link.case_id", help_text="設定対象者ID")
    reason = serializers.CharField(help_text="削除理由")

    class Meta:
        model = LinkRemovalRequest
        fields = ["id", "link", "case", "reason", *FourEyesRequestOut.FIELDS]


class CompanionOut(serializers.ModelSerializer):
    """同伴者: a member of this insurer who fled with the protected person; the case's protections are set on them."""

    id = serializers.IntegerField(help_text="同伴者ID")
    case = serializers.IntegerField(source="case_id", help_text="設定対象者ID")
    member = serializers.CharField(source="member.branch_number", help_text="被保険者枝番")
    relation = serializers.CharField(help_text="続柄（子など）")
    reason = serializers.CharField(help_text="登録理由")
    added_at = serializers.DateTimeField(help_text="登録日時")
    in_force = serializers.BooleanField(source="is_in_force", help_text="有効なら true（削除の承認後は false）")
    pending_removal = serializers.SerializerMethodField(help_text="承認待ちの削除依頼ID（なければ null）")

    class Meta:
        model = CaseCompanion
        fields = ["id", "case", "member", "relation", "reason", "added_at", "in_force", "pending_removal"]

    def get_pending_removal(self, obj) -> int | None:
        return obj.removal_requests.filter(state=ClearingRequestState.PENDING).values_list("pk", flat=True).first()


class CompanionRemovalOut(serializers.ModelSerializer):
    """同伴者の削除依頼（依頼者以外の責任者が承認するまで、同伴者の保護は続く）."""

    id = serializers.IntegerField(help_text="削除依頼ID")
    companion = serializers.IntegerField(source="companion_id", help_text="同伴者ID")
    state = serializers.CharField(help_text="pending=承認待ち, approved=承認済, rejected=却下")
    reason = serializers.CharField(help_text="削除理由")
    override_reason = serializers.CharField(help_text="ケース①の手続完了前の削除理由（責任者）")
    requested_at = serializers.DateTimeField(help_text="依頼日時")
    decided_at = serializers.DateTimeField(allow_null=True, help_text="承認・却下日時")

    class Meta:
        model = CompanionRemovalRequest
        fields = ["id", "companion", "state", "reason", "override_reason", "requested_at", "decided_at"]


class ProtectionCaseOut(serializers.ModelSerializer):
    """設定対象者（別紙2 §2–3）."""

    id = serializers.IntegerField(help_text="設定対象者ID")
    member = serializers.CharField(source="member.branch_number", help_text="被保険者枝番")
    linked_persons = LinkedPersonOut(many=True, help_text="要注意照会対象者（加害者など。削除済を含む）")
    is_open = serializers.BooleanField(help_text="対応中なら true")
    victim_confirmed = serializers.BooleanField(help_text="ア DV・虐待等被害者である（確認済）")
    fled_confirmed = serializers.BooleanField(help_text="イ 加害者の下から避難している（確認済）")
    requested_by_person = serializers.BooleanField(help_text="ウ 本人からの申出あり")
    need_evident = serializers.BooleanField(help_text="申出はないが設定を要することが明らか")
    case_card_or_proxy = serializers.BooleanField(help_text="ケース① カードが加害者の手元にある／加害者が代理人")
    case_inquiry_about_abuser = serializers.BooleanField(help_text="ケース② 加害者に係る情報照会を行う")
    no_auto_response_wanted = serializers.BooleanField(help_text="自動応答を望まない（自動応答不可フラグ）")
    card_suspension_advised_on = serializers.DateField(allow_null=True, help_text="カード停止を案内した日")
    card_suspension_confirmed_on = serializers.DateField(allow_null=True, help_text="カード停止の完了を確認した日")
    proxy_cancel_advised_on = serializers.DateField(allow_null=True, help_text="代理人設定の解除を案内した日")
    proxy_cancel_confirmed_on = serializers.DateField(
        allow_null=True, help_text="代理人設定の解除（又は代理人設定がないこと）を確認した日")
    number_change_advised_on = serializers.DateField(allow_null=True,
                                                     help_text="個人番号の変更・カード再交付を案内した日（必要な場合）")
    number_change_confirmed_on = serializers.DateField(allow_null=True,
                                                       help_text="個人番号の変更・カード再交付の完了を確認した日")
    card_suspension_not_applicable = serializers.BooleanField(help_text="カード停止は対象外（代理人設定のみが問題）")
    card_suspension_not_applicable_reason = serializers.CharField(help_text="カード停止を対象外とする理由")
    card_procedures_missing = serializers.SerializerMethodField(
        help_text="ケース①で、フラグ解除の前に完了確認が必要な手続のうち未記録のもの")
    card_facts_contradicting = serializers.SerializerMethodField(
        help_text="ケース①で、中間サーバーの記録（カード・代理人設定）が手続の完了と食い違う点。"
                  "card_procedures_missing と共に空なら解除を依頼できる（それ以外は責任者が理由を付けた場合のみ）")
    companions = serializers.SerializerMethodField(help_text="同伴者（有効なもの）")
    review_on = serializers.DateField(help_text="見直し日（過ぎても自動では何も解除されない）")
    closed_at = serializers.DateTimeField(allow_null=True, help_text="終了日時")
    close_reason = serializers.CharField(help_text="終了理由")
    pending_closure = serializers.SerializerMethodField(help_text="承認待ちの終了依頼ID（なければ null）")
    notes = serializers.CharField(help_text="備考")
    opened_at = serializers.DateTimeField(help_text="登録日時")

    class Meta:
        model = ProtectionCase
        fields = ["id", "member", "linked_persons", "is_open", "victim_confirmed", "fled_confirmed",
                  "requested_by_person", "need_evident", "case_card_or_proxy", "case_inquiry_about_abuser",
                  "no_auto_response_wanted", "card_suspension_advised_on", "card_suspension_confirmed_on",
                  "proxy_cancel_advised_on", "proxy_cancel_confirmed_on", "number_change_advised_on",
                  "number_change_confirmed_on", "card_suspension_not_applicable",
                  "card_suspension_not_applicable_reason", "card_procedures_missing", "card_facts_contradicting",
                  "companions", "notes", "opened_at", "review_on",
                  "closed_at", "close_reason", "pending_closure"]

    def get_card_procedures_missing(self, obj) -> list[str]:
        return list(self._gate(obj).missing)

    def get_card_facts_contradicting(self, obj) -> list[str]:
        return list(self._gate(obj).contradicted)

    def _gate(self, obj):
        if not hasattr(obj, "_card_gate"):
            obj._card_gate = case_gate(obj)
        return obj._card_gate

    @extend_schema_field(CompanionOut(many=True))
    def get_companions(self, obj) -> list[dict]:
        return CompanionOut(obj.companions.in_force().select_related("member"), many=True).data

    def get_pending_closure(self, obj) -> int | None:
        if hasattr(obj, "pending_closures"):  # prefetched by the list
            return obj.pending_closures[0].pk if obj.pending_closures else None
        return obj.closures.filter(state=ClearingRequestState.PENDING).values_list("pk", flat=True).first()


class ExchangeOut(FieldsOnce, serializers.ModelSerializer):
    """情報提供等記録（職員向け）. 不開示コードがあるものは「取り扱い注意」."""

    id = serializers.UUIDField(help_text="記録ID（不透明なUUID）")
    direction = serializers.SerializerMethodField(help_text="inquiry=自保険者の情報照会, provision=自保険者の情報提供")
    state = serializers.CharField(help_text="状態: pending=照会中, manual=手動応答待ち, provided=提供済, declined=提供せず")
    state_label = serializers.CharField(help_text="状態（日本語）")  # ExchangeRecord.state_label
    procedure = serializers.CharField(source="procedure.code", help_text="事務のコード")
    procedure_name = serializers.CharField(source="procedure.name", help_text="事務名")
    item = serializers.CharField(source="item.code", help_text="特定個人情報のコード")
    item_name = serializers.CharField(source="item.name", help_text="特定個人情報名")
    subject_branch_number = serializers.SerializerMethodField(help_text="対象者が自保険者の被保険者なら被保険者枝番")
    subject_sim_id = serializers.SerializerMethodField(
        help_text="自保険者が照会した記録の対象者の個人識別子（照会時に入力したもの）"
    )
    inquirer_display = serializers.CharField(help_text="照会機関（表示）")
    inquirer_department_display = serializers.CharField(help_text="情報照会者部署名（表示）")
    provider_display = serializers.CharField(help_text="提供機関（表示）")
    inquired_at = serializers.DateTimeField(help_text="照会日時")
    provided_at = serializers.DateTimeField(allow_null=True, help_text="提供日時")
    inquiry_code = serializers.BooleanField(help_text="不開示コード（照会時）")
    inquiry_code_source = serializers.SerializerMethodField(
        help_text="照会時コード設定（自保険者が照会した記録のみ。他機関の照会では null）: auto=自動（不開示該当フラグ）, "
                  "manual=手動, completion=完了時自動設定（別紙1 ※2）, linked=要注意照会対象, 空=なし"
    )
    inquiry_code_case = serializers.SerializerMethodField(
        help_text="linked の根拠となった設定対象者ID（自保険者が照会した記録のみ。それ以外は null）"
    )
    provision_code = serializers.BooleanField(help_text="不開示コード（提供時）")
    provision_code_source = serializers.CharField(help_text="提供時コード設定: auto=自動, manual=手動, 空=なし")
    handle_with_care = serializers.BooleanField(help_text="取り扱い注意（いずれかの側に不開示コードあり）")
    appended_nondisclosure = serializers.SerializerMethodField(help_text="追記依頼により不開示とされた")
    provided_content = serializers.JSONField(allow_null=True, help_text="提供内容")
    content_corrected = serializers.BooleanField(help_text="提供内容を手動で修正した")
    decline_reason = serializers.CharField(help_text="提供しない理由")

    class Meta:
        model = ExchangeRecord
        fields = ["id", "direction", "state", "state_label", "procedure", "procedure_name", "item", "item_name",
                  "subject_branch_number", "subject_sim_id", "inquirer_display", "inquirer_department_display",
                  "provider_display", "inquired_at", "provided_at", "inquiry_code", "inquiry_code_source", "inquiry_code_case",
                  "provision_code", "provision_code_source", "handle_with_care", "appended_nondisclosure",
                  "provided_content", "content_corrected", "decline_reason"]

    def _institution_id(self) -> int:
        return self.context["request"].user.institution_id

    @extend_schema_field(OpenApiTypes.STR)
    def get_direction(self, obj) -> str:
        return "inquiry" if obj.inquirer_id == self._institution_id() else "provision"

    @extend_schema_field({"type": "string", "nullable": True})
    def get_subject_branch_number(self, obj):
        return self.context.get("branch_by_person", {}).get(obj.subject_id)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_inquiry_code_source(self, obj):
        # Why another insurer's inquiry was coded (its flag, its case links) is that insurer's business.
        return obj.inquiry_code_source if obj.inquirer_id == self._institution_id() else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_inquiry_code_case(self, obj):
        return obj.inquiry_code_case_id if obj.inquirer_id == self._institution_id() else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_subject_sim_id(self, obj):
        return obj.subject.sim_id if obj.inquirer_id == self._institution_id() else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_appended_nondisclosure(self, obj) -> bool:
        return obj.appended_nondisclosure_at is not None


class AppendRequestOut(serializers.ModelSerializer):
    """追記依頼（情報提供NWSへ、既存の記録を不開示とする追記を依頼）."""

    id = serializers.UUIDField(help_text="追記依頼ID")
    record = serializers.UUIDField(source="record_id", help_text="情報提供等記録ID")
    reason = serializers.CharField(help_text="理由")
    requested_at = serializers.DateTimeField(help_text="依頼日時")
    requested_by_name = serializers.CharField(help_text="依頼者名")
    status = serializers.ChoiceField(
        choices=AppendRequestStatus.choices, help_text="状態（pending 依頼中・processed 処理済・rejected 差戻し）"
    )
    processed_at = serializers.DateTimeField(allow_null=True, help_text="NWS処理日時（処理済・差戻し）")
    rejection_reason = serializers.CharField(help_text="差戻し理由（NWS）")
    still_shown = serializers.SerializerMethodField(
        help_text="記録がまだマイナポータルのやりとり履歴に表示されている（依頼中・差戻しの間）"
    )

    class Meta:
        model = AppendRequest
        fields = ["id", "record", "reason", "requested_at", "requested_by_name", "status", "processed_at",
                  "rejection_reason", "still_shown"]

    def get_still_shown(self, obj) -> bool:
        return is_shown_in_portal(obj.record)


class AuditEntryOut(serializers.ModelSerializer):
    """監査証跡の1件."""

    id = serializers.IntegerField(help_text="ID")
    at = serializers.DateTimeField(help_text="日時")
    actor_name = serializers.CharField(help_text="実行者名")
    request_id = serializers.CharField(help_text="リクエストID")
    action = serializers.CharField(help_text="操作")
    target_type = serializers.CharField(help_text="対象種別")
    target_id = serializers.CharField(help_text="対象ID")
    target_repr = serializers.CharField(help_text="対象")
    before = serializers.JSONField(allow_null=True, help_text="変更前")
    after = serializers.JSONField(allow_null=True, help_text="変更後")
    message = serializers.CharField(help_text="理由・内容")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_name", "request_id", "action", "target_type", "target_id", "target_repr",
                  "before", "after", "message"]
