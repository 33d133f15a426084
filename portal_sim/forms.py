"""Forms of the simulated マイナポータル (input shape only; the acts are in portal_sim.services)."""

from django import forms

from nakama.text import TextForm

_REQUIRED = {"required": "入力してください。"}


class SignInForm(TextForm):
    card_number = forms.CharField(
        label="カード識別子", max_length=32, error_messages={**_REQUIRED, "max_length": "カード識別子が長すぎます。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label="暗証番号（数字4桁）", max_length=16, strip=False,
        error_messages={**_REQUIRED, "max_length": "暗証番号は数字4桁です。"},
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class NameProxyForm(TextForm):
    sim_id = forms.CharField(
        label="代理人の個人識別子",
        max_length=20,
        error_messages={**_REQUIRED, "max_length": "個人識別子が長すぎます。"},
        help_text="代理人になる方の個人識別子（例: SIM-ABCD-EFGH）を入力してください。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
