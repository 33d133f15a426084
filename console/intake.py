"""One intake (issue 19): a protected person registered from one form and one confirmation.

The form gathers 別紙2 §2, cases ①/②, the persons to link (by 被保険者枝番 or 個人識別子), the カード停止等手続 dates
and the protections, and reports every error in one round: field errors, unknown identifiers, and the rules of
flags.policy (§2 conditions, at least one protection, the checklist's dates) asked here as the services ask them.

register() does the whole registration in one transaction through the existing services: open_protection_case
(case, settings, links), update_case_checklist (dates) and the exposure sweep's file_sweep_append_requests
(追記依頼). preview() runs the same function and rolls it back, so the confirmation names exactly what will happen —
the settings that will be set, each linked person, the records the sweep will list — with no rule copied here.
"""

import datetime
from dataclasses import dataclass, field, replace

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from console.fields import JapaneseDateField
from console.forms import ChecklistForm, ProtectionCaseForm, split_sim_ids
from console.selectors import normalize
from exchanges.models import AppendRequest
from exchanges.sweep import SweepLine, exposure_sweep, file_sweep_append_requests
from flags.policy import SETTING_EFFECTS, SETTING_LABELS, SettingKind, checklist_date_problems
from flags.services import CHECKLIST_FIELDS, case_settings_to_set, open_protection_case, update_case_checklist
from members.models import Member, Person
from portal_sim import selectors as portal_selectors
from portal_sim.services import record_staff_preview

CONDITION_FIELDS = ("victim_confirmed", "fled_confirmed", "requested_by_person", "need_evident")
CASE_FIELDS = ("case_card_or_proxy", "case_inquiry_about_abuser")
PROTECTION_FIELDS = ("wants_non_disclosure", "wants_no_self_info", "no_auto_response_wanted")
MAX_LINKED = 10  # persons named in one registration (and answered by one lookup)


# ---- finding the persons to link --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One identifier as typed, and whom it names (None: nobody this insurer may name by it)."""

    typed: str
    person: Person | None = None
    member: Member | None = None  # when typed as our own 被保険者枝番
    is_her: bool = False  # the protected person herself

    @property
    def name(self) -> str:
        return self.member.name if self.member is not None else self.person.name if self.person else ""

    @property
    def label(self) -> str:
        if self.member is not None:
            return f"枝番 {self.member.branch_number}（当保険者の被保険者）"
        return self.person.sim_id if self.person else self.typed


def find_persons(*, user, member: Member, typed: list[str]) -> list[Found]:
    """Each identifier: 個人識別子 (SIM-…) of any person, or 被保険者枝番 of the user's own insurer only (another
    insurer's 枝番 is simply not found). Two queries whatever the count."""
    sim_ids = [t for t in typed if t.startswith("SIM-")]
    branches = [t for t in typed if not t.startswith("SIM-")]
    persons = {p.sim_id: p for p in Person.objects.filter(sim_id__in=sim_ids)} if sim_ids else {}
    members = {
        m.branch_number.upper(): m
        for m in Member.objects.visible_to(user).filter(branch_number__in=branches).select_related("person")
    } if branches else {}
    found = []
    for t in typed:
        m = members.get(t)
        p = m.person if m is not None else persons.get(t)
        found.append(Found(typed=t, person=p, member=m, is_her=p is not None and p.pk == member.person_id))
    return found


def _date_field(label: str, *, required: bool = False) -> JapaneseDateField:
    """The console's one date field (和暦 or 西暦, the 和暦 shown beside it); days that have happened."""
    return JapaneseDateField(label=label, required=required, past_only=True)


class IntakeForm(ProtectionCaseForm):
    """The registration of ProtectionCaseForm, plus linked persons by 枝番 or 個人識別子, the checklist's dates and
    the sweep's 追記依頼. All errors in one round: clean() asks flags.policy as the services will."""

    linked_sim_ids = None  # replaced by `linked` (枝番 or 個人識別子)
    request_date = _date_field(ProtectionCaseForm.base_fields["request_date"].label)
    linked = forms.CharField(
        label="要注意照会対象者（加害者など）の被保険者枝番または個人識別子", required=False, max_length=400,
        help_text="避難先を知られてはならない方を、当保険者の被保険者なら枝番、そうでなければ個人識別子（SIM-から始まる）で"
                  "入力します。複数の場合は空白か読点で区切ります。見つかった方の氏名が下に表示されます。",
    )
    card_suspension_advised_on = _date_field(ChecklistForm.base_fields["card_suspension_advised_on"].label)
    card_suspension_confirmed_on = _date_field(ChecklistForm.base_fields["card_suspension_confirmed_on"].label)
    proxy_cancel_advised_on = _date_field(ChecklistForm.base_fields["proxy_cancel_advised_on"].label)
    proxy_cancel_confirmed_on = _date_field(ChecklistForm.base_fields["proxy_cancel_confirmed_on"].label)
    number_change_advised_on = _date_field(ChecklistForm.base_fields["number_change_advised_on"].label)
    number_change_confirmed_on = _date_field(ChecklistForm.base_fields["number_change_confirmed_on"].label)
    file_appends = forms.BooleanField(
        label="マイナポータルに表示されたままの記録が見つかれば、そのすべてに追記依頼を行う", required=False, initial=True,
        help_text="登録と同時に、当保険者が関与した記録のうち、本人のカードを持つ人・代理人や要注意照会対象者本人に見えている"
                  "ものを探します。見つかった記録は確認画面に一覧します。",
    )
    append_reason = forms.CharField(
        label="追記依頼の理由（空欄なら設定理由）", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = [
        *CONDITION_FIELDS, "request_date", *CASE_FIELDS, "linked", *CHECKLIST_FIELDS, *PROTECTION_FIELDS,
        "reason", "notes", "file_appends", "append_reason",
    ]

    def __init__(self, *args, user, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.member = user, member
        self.found: list[Found] = []
        for name in ("linked", "reason", "append_reason", "notes"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")

    def clean_linked(self) -> list[str]:
        typed = split_sim_ids(self.cleaned_data.get("linked", ""))
        if len(typed) > MAX_LINKED:
            raise ValidationError(f"一度に登録できる要注意照会対象者は{MAX_LINKED}名までです。")
        self.found = find_persons(user=self.user, member=self.member, typed=typed)
        unknown = [f.typed for f in self.found if f.person is None]
        problems = []
        if unknown:
            problems.append(f"該当する方が見つかりません: {'、'.join(unknown)}（当保険者の被保険者は枝番、それ以外の方は"
                            "個人識別子で入力してください）")
        if any(f.is_her for f in self.found):
            problems.append("設定対象者本人を要注意照会対象者（加害者など）にすることはできません。")
        if problems:
            raise ValidationError(problems)
        return typed

    def clean(self):
        data = super().clean()  # 別紙2 §2 and at least one protection: ProtectionCaseForm.clean asks flags.policy
        dates = {f: data.get(f) for f in CHECKLIST_FIELDS if f not in self.errors}
        for name, why in checklist_date_problems(dates, today=timezone.localdate()).items():
            if name not in self.errors:
                self.add_error(name, why)
        return data

    def intake(self) -> "Intake":
        data = self.cleaned_data
        reason = (data["reason"] or "").strip()
        return Intake(
            member=self.member,
            case_args={
                **{f: data[f] for f in (*CONDITION_FIELDS, *CASE_FIELDS, *PROTECTION_FIELDS)},
                "request_date": data["request_date"], "reason": reason, "notes": data["notes"],
            },
            linked=[f for f in self.found if f.person is not None],
            dates={f: data[f] for f in CHECKLIST_FIELDS if data.get(f)},
            file_appends=data["file_appends"],
            append_reason=(data["append_reason"] or "").strip() or reason,
        )


# ---- the registration ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """The clerk's answers, ready for the services."""

    member: Member
    case_args: dict  # flags.services.open_protection_case's keyword arguments
    linked: list[Found]
    dates: dict[str, datetime.date]  # the checklist dates typed (CHECKLIST_FIELDS)
    file_appends: bool
    append_reason: str


@dataclass(frozen=True)
class Outcome:
    """What a registration did (register) or would do (preview)."""

    case: object  # the ProtectionCase; None for a preview
    settings: list[SettingKind]  # set by this registration
    kept: list[SettingKind]  # asked for but already in force on the whole member: not set again
    review_on: datetime.date
    lines: list[SweepLine]  # the exposure sweep right after the links, before any 追記依頼
    to_file: list[str]  # record ids that get a 追記依頼
    appended: list[AppendRequest] = field(default_factory=list)

    @property
    def setting_labels(self) -> list[str]:
        return [SETTING_LABELS[k] for k in self.settings]

    @property
    def setting_effects(self) -> list[tuple[str, dict]]:
        """(label, 別紙1 effects) of each setting this registration sets, for the confirmation."""
        return [(SETTING_LABELS[k], SETTING_EFFECTS[k]) for k in self.settings]

    @property
    def kept_labels(self) -> list[str]:
        return [SETTING_LABELS[k] for k in self.kept]


def register(*, actor, intake: Intake, record_ids: list[str] | None = None) -> Outcome:
    """The whole registration in one transaction: all of it or nothing. `record_ids`: the records the clerk saw on
    the confirmation; only those (if the sweep still lists them) get a 追記依頼. None: every selectable one."""
    with transaction.atomic():
        case = open_protection_case(
            actor=actor, member=intake.member, linked_persons=[f.person for f in intake.linked], **intake.case_args
        )
        if intake.dates:
            update_case_checklist(actor=actor, case=case, **intake.dates)
        lines = exposure_sweep(user=actor, case=case)
        chosen = [
            str(line.record.pk) for line in lines
            if line.selectable and (record_ids is None or str(line.record.pk) in record_ids)
        ] if intake.file_appends else []
        appended = file_sweep_append_requests(
            actor=actor, case=case, record_ids=chosen, reason=intake.append_reason
        ) if chosen else []
        settings = [SettingKind(k) for k in case.settings.order_by("id").values_list("kind", flat=True)]
        asked = case_settings_to_set(**{
            f: intake.case_args[f] for f in ("case_card_or_proxy", *PROTECTION_FIELDS)
        })
        return Outcome(case=case, settings=settings, kept=[k for k in asked if k not in settings],
                       review_on=case.review_on, lines=lines, to_file=chosen, appended=appended)


class _RolledBack(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__("preview")
        self.outcome = outcome


def preview(*, actor, intake: Intake) -> Outcome:
    """register() run and rolled back: what it would do now. Raises the services' ValidationError like register()."""
    try:
        with transaction.atomic():
            raise _RolledBack(register(actor=actor, intake=intake))
    except _RolledBack as done:
        return replace(done.outcome, case=None, appended=[])


# ---- the case page after the intake -------------------------------------------------------------------------------


def portal_preview(*, user, case) -> dict:
    """「加害者から見える内容」 inline on the case page: her やりとり履歴 as her card holder or proxy sees it and each
    linked person's records, this insurer's part only (portal_sim's selectors, as its preview page). Audited."""
    record_staff_preview(actor=user, case=case)
    return {
        "her_records": portal_selectors.history(person=case.member.person, only_institution_id=case.institution_id)
        .records,
        "linked": portal_selectors.linked_records_for_preview(user=user, case=case),
    }


def lookup(*, user, member: Member, text: str) -> list[dict]:
    """The identifiers typed so far, each with the name it finds (for the form's script)."""
    typed = split_sim_ids(normalize(text))[:MAX_LINKED]
    return [
        {"typed": f.typed, "found": f.person is not None, "name": f.name,
         "label": f.label, "is_her": f.is_her}
        for f in find_persons(user=user, member=member, typed=typed)
    ]
