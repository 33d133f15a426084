"""被保険者 and 副本."""

from rest_framework import serializers

from members.models import Member, Replica


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
