"""Forms of the member pages: the search, a setting (不開示該当フラグ等) and the request to clear one."""

from django import forms
from django.core.exceptions import ValidationError

from console.forms.common import REQUIRED
from console.selectors import normalize
from flags.policy import SETTING_LABELS, SettingKind
from members.models import InfoItem
from nakama.text import TextForm

KIND_CHOICES = [(k.value, SETTING_LABELS[k]) for k in SettingKind]


class MemberSearchForm(TextForm):
    branch_number = forms.CharField(label="被保険者枝番（完全一致）", required=False, max_length=20)
    name = forms.CharField(label="氏名（部分一致）", required=False, max_length=100)
    kana = forms.CharField(label="カナ氏名（部分一致）", required=False, max_length=100)
    symbol_number = forms.CharField(label="記号・番号（完全一致）", required=False, max_length=40)

    def clean(self):
        data = super().clean()
        if not any(normalize(data.get(f, "")) for f in ("branch_number", "name", "kana", "symbol_number")):
            raise ValidationError("検索条件を1つ以上入力してください。")
        return data


class SettingForm(TextForm):
    """Set one setting on one member (whole, or one 特定個人情報)."""

    kind = forms.ChoiceField(label="設定種別", choices=KIND_CHOICES, error_messages=REQUIRED | {
        "invalid_choice": "設定種別を選んでください。"
    })
    item = forms.ModelChoiceField(
        label="範囲", queryset=InfoItem.objects.all(), required=False, empty_label="全体（被保険者枝番単位）",
        error_messages={"invalid_choice": "特定個人情報を選び直してください。"},
    )
    reason = forms.CharField(label="設定理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "設定理由を入力してください。"})


class ClearingRequestForm(TextForm):
    reason = forms.CharField(label="解除理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "解除理由を入力してください。"})
    override_reason = forms.CharField(
        label="（責任者のみ）カード停止等手続の完了前に解除を依頼する理由", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="ケース①で手続の完了が確認できていない場合に限り、責任者が理由を記入して依頼できます。記録されます。",
    )
