"""Forms of the exchange pages: 情報照会, the manual response (提供内容の確認・修正), 追記依頼 and the history filter."""

from django import forms
from django.core.exceptions import ValidationError

from console.fields import DateTextInput, JapaneseDateField
from console.forms.common import REQUIRED
from console.selectors import CODE_FILTERS, normalize
from exchanges.models import ExchangeState
from institutions.models import Institution
from members.catalogue import ITEM_FIELDS
from members.models import InfoItem, Procedure
from nakama.dates import DateParseError, parse_date
from nakama.text import TextForm


class InquiryForm(TextForm):
    """情報照会: the subject is one of our members (枝番) or a person identifier typed in exactly."""

    SUBJECT_CHOICES = [("member", "当保険者の被保険者（枝番で指定）"), ("person", "個人識別子で指定（被保険者でない個人など）")]

    subject_type = forms.ChoiceField(label="照会対象者の指定方法", choices=SUBJECT_CHOICES, widget=forms.RadioSelect,
                                     initial="member", error_messages=REQUIRED)
    branch_number = forms.CharField(label="被保険者枝番", required=False, max_length=20)
    sim_id = forms.CharField(label="個人識別子", required=False, max_length=20)
    procedure = forms.ModelChoiceField(label="事務", queryset=Procedure.objects.all(), empty_label="選んでください",
                                       error_messages={"required": "事務を選んでください。",
                                                       "invalid_choice": "事務を選び直してください。"})
    item = forms.ModelChoiceField(label="特定個人情報", queryset=InfoItem.objects.all(), empty_label="選んでください",
                                  error_messages={"required": "特定個人情報を選んでください。",
                                                  "invalid_choice": "特定個人情報を選び直してください。"})
    provider = forms.ModelChoiceField(label="照会先", queryset=Institution.objects.none(), empty_label="選んでください",
                                      error_messages={"required": "照会先を選んでください。",
                                                      "invalid_choice": "照会先を選び直してください。"})
    # Step 2 (確認画面) only.
    nondisclosure_code = forms.BooleanField(label="不開示コードを設定する", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Institution.objects.exclude(pk=user.institution_id).order_by("kind", "name")

    def clean(self):
        data = super().clean()
        kind = data.get("subject_type")
        data["branch_number"] = normalize(data.get("branch_number", "")).upper()
        data["sim_id"] = normalize(data.get("sim_id", "")).upper()
        if kind == "member" and not data["branch_number"]:
            self.add_error("branch_number", "被保険者枝番を入力してください。")
        if kind == "person" and not data["sim_id"]:
            self.add_error("sim_id", "個人識別子を入力してください。")
        procedure, item = data.get("procedure"), data.get("item")
        if procedure and item and not procedure.items.filter(pk=item.pk).exists():
            self.add_error("item", f"事務「{procedure.name}」では特定個人情報「{item.name}」を照会できません。")
        return data


class ManualDeclineForm(TextForm):
    reason = forms.CharField(label="提供しない理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "提供しない理由を入力してください。"})


def manual_response_form(content: dict | None, *, item_code: str, data=None) -> forms.Form:
    """情報提供内容入力画面: one text field per item of the 副本, so staff can correct it (別紙3 ③); with no 副本,
    one empty field per label of the item's catalogue (members/catalogue.ITEM_FIELDS), so staff can enter it."""
    if content:
        initial = {key: "" if value is None else str(value) for key, value in content.items()}
    else:
        initial = dict.fromkeys(ITEM_FIELDS.get(item_code, ()), "")
    fields = {}
    for n, (key, value) in enumerate(initial.items()):
        widget = DateTextInput() if key.endswith("日") else forms.TextInput()
        fields[f"field_{n}"] = forms.CharField(label=key, required=False, max_length=200, initial=value, widget=widget)
    fields["nondisclosure_code"] = forms.BooleanField(label="不開示コードを付けて提供する", required=False)
    form_class = type("ManualResponseForm", (TextForm,), fields)
    form = form_class(data=data)
    form.content_keys = list(initial)
    return form


def corrected_content(form: forms.Form, original: dict | None) -> tuple[dict | None, dict[str | None, str]]:
    """The content as staff left it: empty means 「設定なし」 (None). Dates (keys ending in 日) must be real dates.
    With no 副本 the whole content is what staff entered, and at least one value is needed."""
    if original is None and not form.content_keys:
        return None, {}
    content, errors = {}, {}
    for n, key in enumerate(form.content_keys):
        name = f"field_{n}"
        value = (form.cleaned_data.get(name) or "").strip()  # not NFKC: 副本 text is sent as staff left it
        original_value = (original or {}).get(key)
        if value == "":
            content[key] = None
            continue
        if key.endswith("日"):
            try:  # typed as the office writes it (R8.7.1 …); sent as the 副本 keeps dates: ISO
                value = parse_date(value).isoformat()
            except DateParseError as exc:
                errors[name] = f"「{key}」: {exc}"
        # Keep the original value's type where staff did not change it (e.g. numbers stay numbers).
        content[key] = original_value if original_value is not None and str(original_value) == value else value
    if original is None and all(v is None for v in content.values()):
        errors[None] = "副本が登録されていません。提供する内容を入力してください。"
    return content, errors


class AppendRequestForm(TextForm):
    reason = forms.CharField(label="追記依頼の理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "追記依頼の理由を入力してください。"})


class ExchangeFilterForm(TextForm):
    date_from = JapaneseDateField(label="期間（から）", required=False)
    date_to = JapaneseDateField(label="期間（まで）", required=False)
    person = forms.CharField(label="対象者（識別子・枝番）", required=False, max_length=20)
    state = forms.ChoiceField(label="状態", required=False, choices=[("", "すべて")] + list(ExchangeState.choices),
                              error_messages={"invalid_choice": "状態を選び直してください。"})
    code = forms.ChoiceField(label="不開示コード", required=False,
                             choices=[("", "すべて")] + [(k, v[0]) for k, v in CODE_FILTERS.items()],
                             error_messages={"invalid_choice": "不開示コードの条件を選び直してください。"})

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("期間の開始日は終了日以前の日付にしてください。")
        return data
