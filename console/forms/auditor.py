"""The 監査者's filter of the audit trail page."""

from django import forms
from django.core.exceptions import ValidationError

from console.fields import JapaneseDateField
from nakama.text import TextForm


class AuditFilterForm(TextForm):
    actor = forms.CharField(label="実行者（部分一致）", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False, choices=[])
    person = forms.CharField(label="対象者（識別子・枝番）", required=False, max_length=20)
    date_from = JapaneseDateField(label="期間（から）", required=False)
    date_to = JapaneseDateField(label="期間（まで）", required=False)

    def __init__(self, *args, actions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "すべて")] + actions
        self.fields["action"].error_messages["invalid_choice"] = "操作を選び直してください。"

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("期間の開始日は終了日以前の日付にしてください。")
        return data
