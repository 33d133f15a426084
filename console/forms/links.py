"""Forms of the 要注意照会対象者 (linked person) pages: adding one, and the request to remove one (four eyes)."""

from django import forms

from console.selectors import normalize
from nakama.text import TextForm


class LinkPersonForm(TextForm):
    """要注意照会対象者の追加 on the case page."""

    sim_id = forms.CharField(label="個人識別子", max_length=20, error_messages={"required": "個人識別子を入力してください。"})
    reason = forms.CharField(label="登録理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "登録理由を入力してください。"})

    def clean_sim_id(self):
        return normalize(self.cleaned_data.get("sim_id", "")).upper()


class LinkRemovalForm(TextForm):
    """要注意照会対象者の削除依頼 (a supervisor other than the requester approves)."""

    reason = forms.CharField(label="削除理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "削除理由を入力してください。"})
