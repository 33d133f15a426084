"""フラグの設定 and their 解除依頼."""

from rest_framework import serializers

from api.serializers.base import FourEyesRequestOut
from flags.models import ClearingRequest, Setting


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
