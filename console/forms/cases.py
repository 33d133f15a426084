"""Forms of the 設定対象者 (protection case) pages: registration, the カード停止等手続 checklist, the review date and
the closing."""

import datetime
import re

from django import forms
from django.utils import timezone

from console.fields import JapaneseDateField, check_not_before
from console.selectors import normalize
from flags.models import Handover
from flags.policy import NO_PROTECTION_CHOSEN, case_conditions_unmet, case_protects
from flags.services import case_settings_to_set
from nakama.text import TextForm


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
