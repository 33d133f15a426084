"""What several console forms share: the required-field message and the four-eyes decision (承認・却下)."""

from django import forms

from nakama.text import TextForm

REQUIRED = {"required": "この項目は必須です。"}


class ClearingDecisionForm(TextForm):
    decision = forms.ChoiceField(choices=[("approve", "承認"), ("reject", "却下")],
                                 error_messages={"required": "承認か却下かを選んでください。",
                                                 "invalid_choice": "承認か却下かを選んでください。"})
    note = forms.CharField(label="メモ", required=False, max_length=1000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "却下する場合は理由を入力してください。")
        return data
