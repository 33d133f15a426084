"""情報提供等記録 and 追記依頼."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import FieldsOnce
from exchanges.models import AppendRequest, AppendRequestStatus, ExchangeRecord
from exchanges.selectors import is_shown_in_portal


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
