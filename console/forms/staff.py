"""Forms of the staff pages: a new account, a role change (four eyes), deactivation, and one's own preferences."""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from console.forms.common import REQUIRED
from console.selectors import normalize
from institutions.models import DateStyle, Department, Role, Staff
from nakama.text import TextForm


class StaffCreateForm(TextForm):
    username = forms.CharField(label="ユーザー名（半角英数字）", max_length=150, error_messages=REQUIRED)
    display_name = forms.CharField(label="氏名", max_length=100, error_messages=REQUIRED)
    department = forms.ModelChoiceField(label="部署", queryset=Department.objects.none(), empty_label="選んでください",
                                        error_messages={"required": "部署を選んでください。",
                                                        "invalid_choice": "部署を選び直してください。"})
    role = forms.ChoiceField(label="役割", choices=Role.choices, error_messages={
        "required": "役割を選んでください。", "invalid_choice": "役割を選び直してください。"})
    password1 = forms.CharField(label="初期パスワード", widget=forms.PasswordInput, error_messages=REQUIRED)
    password2 = forms.CharField(label="初期パスワード（確認）", widget=forms.PasswordInput, error_messages=REQUIRED)
    reason = forms.CharField(
        label="理由（責任者・監査者の登録を依頼するとき）", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="責任者・監査者は、別の責任者が承認したときに登録されます。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(institution_id=user.institution_id)

    def clean_username(self):
        username = normalize(self.cleaned_data["username"])
        Staff.username_validator(username)
        if Staff.objects.filter(username__iexact=username).exists():
            raise ValidationError("このユーザー名はすでに使われています。")
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "確認用のパスワードが一致しません。")
        elif p1:
            try:
                candidate = Staff(username=data.get("username", ""), display_name=data.get("display_name", ""))
                validate_password(p1, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RoleChangeForm(TextForm):
    """役割変更の依頼: takes effect only when another 責任者 approves it."""

    role = forms.ChoiceField(label="新しい役割", choices=Role.choices, error_messages={
        "required": "役割を選んでください。", "invalid_choice": "役割を選び直してください。"})
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "理由を入力してください。"})


class DeactivateForm(TextForm):
    reason = forms.CharField(label="無効にする理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "無効にする理由を入力してください。"})


class PreferencesForm(TextForm):
    date_style = forms.ChoiceField(label="日付の表示", choices=DateStyle.choices, widget=forms.RadioSelect,
                                   error_messages={"required": "日付の表示を選んでください。",
                                                   "invalid_choice": "日付の表示を選び直してください。"})
