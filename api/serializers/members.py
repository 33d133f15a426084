"""被保険者 and 副本."""

from rest_framework import serializers

from members.models import Member, Replica

MASKED_NAME = "保護対象者"


class MemberOut(serializers.ModelSerializer):
    """被保険者. A protected person is shown masked (masked: true, 「保護対象者」, no identifying field) to staff who are
    not 担当 of her case until they give a reason (POST members/{branch_number}/access-reason/; issue 17 ⑥); the
    view puts the masked member ids in the context."""

    branch_number = serializers.CharField(help_text="被保険者枝番（保険者内で一意。URLの識別子）")
    masked = serializers.SerializerMethodField(
        help_text="true: 保護対象者。担当以外の職員には、閲覧理由の入力（access-reason）まで氏名等を表示しない")
    sim_id = serializers.CharField(source="person.sim_id", allow_null=True,
                                   help_text="個人識別子（シミュレーション上の個人番号の代わり。masked のときは null）")
    name = serializers.CharField(help_text="氏名（masked のときは「保護対象者」）")
    kana = serializers.CharField(help_text="カナ氏名（masked のときは空）")
    birth_date = serializers.DateField(allow_null=True, help_text="生年月日（masked のときは null）")
    symbol_number = serializers.CharField(help_text="記号・番号（masked のときは空）")
    acquired_on = serializers.DateField(allow_null=True, help_text="資格取得日（masked のときは null）")
    lost_on = serializers.DateField(allow_null=True, help_text="資格喪失日（未喪失・masked のときは null）")

    class Meta:
        model = Member
        fields = ["branch_number", "masked", "sim_id", "name", "kana", "birth_date", "symbol_number", "acquired_on",
                  "lost_on"]

    def get_masked(self, obj) -> bool:
        return obj.pk in self.context.get("masked", ())

    def to_representation(self, obj):
        if obj.pk not in self.context.get("masked", ()):
            return super().to_representation(obj)
        shown = dict.fromkeys(self.fields, None)  # nothing of hers computed, not even a method field's reads
        shown.update(branch_number=obj.branch_number, masked=True, name=MASKED_NAME, kana="", symbol_number="",
                     **{name: [] for name in self.masked_lists})
        return shown

    masked_lists: tuple[str, ...] = ()  # list fields of a subclass, empty while masked


class ReplicaOut(serializers.ModelSerializer):
    """副本."""

    item = serializers.CharField(source="item.code", help_text="特定個人情報のコード")
    item_name = serializers.CharField(source="item.name", help_text="特定個人情報名")
    content = serializers.JSONField(help_text="副本の内容")
    registered_at = serializers.DateTimeField(help_text="副本登録日時")

    class Meta:
        model = Replica
        fields = ["item", "item_name", "content", "registered_at"]
