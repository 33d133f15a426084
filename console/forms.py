"""Console forms: input shape and Japanese messages only. The rules live in the services they feed."""

import datetime
import re

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from console.fields import DateTextInput, JapaneseDateField, check_not_before
from console.selectors import CODE_FILTERS, normalize
from exchanges.models import ExchangeState
from flags.models import Handover
from flags.policy import NO_PROTECTION_CHOSEN, SETTING_LABELS, SettingKind, case_conditions_unmet, case_protects
from flags.services import case_settings_to_set
from institutions.models import DateStyle, Department, Institution, Role, Staff
from members.catalogue import ITEM_FIELDS
from members.models import InfoItem, Procedure
from nakama.dates import DateParseError, parse_date
from nakama.text import TextForm

REQUIRED = {"required": "この項目は必須です。"}
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


class ProtectionCaseForm(TextForm):
    """設定対象者 (別紙2 §2–3). Field names follow flags.services.open_protection_case."""

    victim_confirmed = forms.BooleanField(label="ア DV・虐待等被害者である（被害を受けるおそれがある者を含む）ことを確認した",
                                          required=False)
    fled_confirmed = forms.BooleanField(label="イ 加害者の下から避難先市町村に避難していることを確認した", required=False)
    requested_by_person = forms.BooleanField(label="ウ 本人から不開示該当フラグ又は自己情報提供不可フラグの設定の申出がある",
                                             required=False)
    need_evident = forms.BooleanField(
        label="申出はないが、ア・イに該当し設定を要することが明らか（あらかじめ把握している場合を含む）", required=False
    )
    request_date = JapaneseDateField(label="申出日", required=False, past_only=True)
    case_card_or_proxy = forms.BooleanField(
        label="ケース① マイナンバーカードが加害者の手元にある、又は加害者を代理人に設定している", required=False
    )
    case_inquiry_about_abuser = forms.BooleanField(
        label="ケース② 加害者に係る情報照会を行う（加害者の情報を必要とする手続がある）", required=False
    )
    linked_sim_ids = forms.CharField(
        label="要注意照会対象者（加害者など）の個人識別子（分かる場合）", required=False, max_length=400,
        help_text="避難先を知られてはならない方の個人識別子（SIM-から始まる）を正確に入力してください。複数の場合は空白か読点で"
                  "区切ります。当保険者の被保険者でも指定できます。この方に係る情報照会には不開示コードが自動で付きます。",
    )
    wants_non_disclosure = forms.BooleanField(label="不開示該当フラグ（全体）を設定する", required=False, initial=True)
    wants_no_self_info = forms.BooleanField(label="自己情報提供不可フラグ（全体）を設定する", required=False)
    no_auto_response_wanted = forms.BooleanField(
        label="自動応答不可フラグ（全体）を設定する（本人が自動応答を望まない）", required=False
    )
    reason = forms.CharField(label="設定理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "設定理由を入力してください。"})
    notes = forms.CharField(label="備考", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)

    def clean_linked_sim_ids(self):
        return split_sim_ids(self.cleaned_data.get("linked_sim_ids", ""))

    def clean(self):
        # 別紙2 §2 and "at least one protection", asked of flags.policy as open_protection_case asks it, so they are
        # said beside their boxes in the same round as every other error (issue 19 point 4), not after confirming.
        data = super().clean()
        conditions = ("victim_confirmed", "fled_confirmed", "requested_by_person", "need_evident")
        for name, why in case_conditions_unmet(**{f: bool(data.get(f)) for f in conditions}).items():
            self.add_error(name, why)
        wanted = ("case_card_or_proxy", "wants_non_disclosure", "wants_no_self_info", "no_auto_response_wanted")
        if not case_protects(case_settings_to_set(**{f: bool(data.get(f)) for f in wanted})):
            self.add_error("wants_non_disclosure", NO_PROTECTION_CHOSEN)
        return data


def split_sim_ids(text: str) -> list[str]:
    """個人識別子 typed one or several, separated by spaces, commas or 読点, in the stored form, each once."""
    parts = re.split(r"[\s,、，]+", normalize(text).upper())
    return list(dict.fromkeys(p for p in parts if p))


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


class ChecklistForm(TextForm):
    """カード停止等手続 (別紙2 §3 ①): the date each step was advised and the date its completion was confirmed.
    Each is a day that has happened and not before the case was opened (`case`, when the page gives it)."""

    card_suspension_advised_on = JapaneseDateField(label="カード停止を案内した日", required=False, past_only=True)
    card_suspension_confirmed_on = JapaneseDateField(label="カード停止の完了を確認した日", required=False,
                                                     past_only=True)
    proxy_cancel_advised_on = JapaneseDateField(label="代理人設定の解除を案内した日", required=False, past_only=True)
    proxy_cancel_confirmed_on = JapaneseDateField(label="代理人設定の解除（又は代理人設定がないこと）を確認した日",
                                                  required=False, past_only=True)
    number_change_advised_on = JapaneseDateField(label="個人番号の変更・カード再交付を案内した日（必要な場合）",
                                                 required=False, past_only=True)
    number_change_confirmed_on = JapaneseDateField(label="個人番号の変更・カード再交付の完了を確認した日",
                                                   required=False, past_only=True)
    card_suspension_not_applicable = forms.BooleanField(
        label="カード停止は対象外（カードは加害者の手元になく、代理人設定のみが問題）", required=False)
    card_suspension_not_applicable_reason = forms.CharField(
        label="対象外とする理由", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000)
    notes = forms.CharField(label="備考", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)

    DATE_FIELDS = ("card_suspension_advised_on", "card_suspension_confirmed_on", "proxy_cancel_advised_on",
                   "proxy_cancel_confirmed_on", "number_change_advised_on", "number_change_confirmed_on")

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean(self):
        data = super().clean()
        if self.case is not None:  # only the dates typed now: an earlier record does not block the next step
            changed = [n for n in self.DATE_FIELDS if data.get(n) != getattr(self.case, n)]
            check_not_before(self, changed, case_started_on(self.case), "この設定対象者の登録日")
        return data


def case_started_on(case) -> datetime.date:
    """The day her protection began: the case's own opening, or for a case handed over (引継ぎ), the first insurer's
    (the card procedures may have been done there)."""
    opened = case.opened_at
    handover = Handover.objects.filter(new_case=case).select_related("from_case").first()
    if handover is not None:
        opened = min(opened, handover.from_case.opened_at)
    return timezone.localdate(opened)


class ReviewDateForm(TextForm):
    review_on = JapaneseDateField(label="次の見直し日", future_only=True,
                                  error_messages={"required": "見直し日を入力してください。"})
    reason = forms.CharField(label="変更の理由", max_length=1000, error_messages={"required": "変更の理由を入力してください。"})


class CaseClosureForm(TextForm):
    reason = forms.CharField(label="終了理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "終了理由を入力してください。"})
    clear_settings = forms.BooleanField(
        label="この設定対象者で設定したフラグのうち有効なものを、終了の承認と同時に解除する", required=False
    )
    override_reason = forms.CharField(
        label="（責任者のみ）カード停止等手続の完了前に解除する理由", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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


class HandoverOfferForm(TextForm):
    """引継ぎの申出 (old insurer): the new Nakama insurer she joins and the date her consent was confirmed."""

    to_institution = forms.ModelChoiceField(
        label="引継ぎ先の保険者", queryset=None, empty_label="選んでください",
        error_messages={"required": "引継ぎ先の保険者を選んでください。", "invalid_choice": "引継ぎ先の保険者を選んでください。"},
    )
    consent_on = JapaneseDateField(label="本人の同意を確認した日", past_only=True)
    consent_confirmed = forms.BooleanField(
        label="本人が引継ぎに同意したことを確認した", error_messages={"required": "本人の同意を確認してください。"}
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from institutions.models import Institution

        self.fields["to_institution"].queryset = (
            Institution.objects.filter(is_tenant=True).exclude(insurer_number="").exclude(pk=user.institution_id)
            .order_by("name")
        )


class HandoverDeclineForm(TextForm):
    reason = forms.CharField(label="辞退の理由", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
                             error_messages={"required": "辞退の理由を入力してください。"})
