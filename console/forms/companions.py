"""Forms of the 同伴者 pages (console.views.companions)."""

from django import forms

from console.selectors import normalize
from nakama.text import TextForm


class CompanionForm(TextForm):
    """同伴者の追加 on the case page: a member of our insurer, by 被保険者枝番."""

    branch_number = forms.CharField(label="被保険者枝番", max_length=20,
                                    error_messages={"required": "被保険者枝番を入力してください。"})
    relation = forms.CharField(label="続柄", max_length=20, initial="子",
                               error_messages={"required": "続柄（子など）を入力してください。"})
    reason = forms.CharField(label="登録理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "登録理由を入力してください。"})

    def clean_branch_number(self):
        return normalize(self.cleaned_data.get("branch_number", "")).upper()


class CompanionRemovalForm(TextForm):
    """同伴者の削除依頼 (it removes their protection: a supervisor other than the requester approves)."""

    reason = forms.CharField(label="削除理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "削除理由を入力してください。"})
    override_reason = forms.CharField(
        label="カード停止等手続の完了前に削除する理由（責任者のみ）", widget=forms.Textarea(attrs={"rows": 2}),
        required=False, max_length=1000,
    )
