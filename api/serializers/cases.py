"""設定対象者 (a protection case) and what hangs from it: linked persons, companions, closure, their removals."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import FourEyesRequestOut
from flags.card_gate import case_gate
from flags.models import (
    CaseClosure,
    CaseCompanion,
    CaseLinkedPerson,
    ClearingRequestState,
    CompanionRemovalRequest,
    LinkRemovalRequest,
    ProtectionCase,
)


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
        if hasattr(obj, "pending_removals"):  # prefetched by the case list
            return obj.pending_removals[0].pk if obj.pending_removals else None
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
    member = serializers.CharField(source="member.branch_number", allow_null=True,
                                   help_text="被保険者枝番（masked のときは null）")
    masked = serializers.SerializerMethodField(
        help_text="true: 「保護対象者」として伏せている（担当でない職員が理由をまだ入力していない）。"
                  "被保険者枝番・同伴者・備考等の自由記述は空。POST /cases/{id}/access-reason/ で理由を入力すると表示")
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
        fields = ["id", "member", "masked", "linked_persons", "is_open", "victim_confirmed", "fled_confirmed",
                  "requested_by_person", "need_evident", "case_card_or_proxy", "case_inquiry_about_abuser",
                  "no_auto_response_wanted", "card_suspension_advised_on", "card_suspension_confirmed_on",
                  "proxy_cancel_advised_on", "proxy_cancel_confirmed_on", "number_change_advised_on",
                  "number_change_confirmed_on", "card_suspension_not_applicable",
                  "card_suspension_not_applicable_reason", "card_procedures_missing", "card_facts_contradicting",
                  "companions", "notes", "opened_at", "review_on",
                  "closed_at", "close_reason", "pending_closure"]

    # Free text may name her or where she is: blank, like her 枝番, while she is masked.
    MASKED_TEXT = ("notes", "close_reason", "card_suspension_not_applicable_reason")

    def get_masked(self, obj) -> bool:
        return obj.pk in self.context.get("masked", ())

    def to_representation(self, obj):
        data = super().to_representation(obj)
        if data["masked"]:
            data.update(member=None, companions=[], **dict.fromkeys(self.MASKED_TEXT, ""))
        return data

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
        if hasattr(obj, "companions_in_force"):  # prefetched by the case list
            return CompanionOut(obj.companions_in_force, many=True).data
        return CompanionOut(obj.companions.in_force().select_related("member"), many=True).data

    def get_pending_closure(self, obj) -> int | None:
        if hasattr(obj, "pending_closures"):  # prefetched by the list
            return obj.pending_closures[0].pk if obj.pending_closures else None
        return obj.closures.filter(state=ClearingRequestState.PENDING).values_list("pk", flat=True).first()
