"""監査証跡."""

from rest_framework import serializers

from audit.models import AuditEntry


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
