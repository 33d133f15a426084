"""The card-procedure gate (別紙2 §3 ①) on clearing a case ①'s 不開示該当 / 自己情報提供不可 — a clearing request, its
approval, a case closure and a 同伴者's removal all ask it.

It reads the case's dated checklist and Nakama's own card and 代理人 facts (flags.facts), and hands both to
flags.policy.card_procedure_gate, which decides. Typed dates alone no longer open it.
"""

from django.core.exceptions import ValidationError
from django.db.models import Q

from flags.facts import FactQuestion, facts_for, facts_for_many
from flags.models import Handover, HandoverState, ProtectionCase, Setting, SettingSource
from flags.policy import CardGate, CardProcedures, CardProxyFacts
from flags.policy import card_procedure_gate as decide_gate
from institutions.models import Role


def card_procedure_case(setting: Setting) -> ProtectionCase | None:
    """The case ① that holds this setting back until カード停止等手続 is confirmed (別紙2 §3 ①), if any:
    the case that set it, or an open case ① naming the member (as the protected person or a 同伴者)."""
    if setting.member_id is None:
        return None
    cases = ProtectionCase.objects.filter(case_card_or_proxy=True)
    if setting.case_id:
        case = cases.filter(pk=setting.case_id).first()
        if case is not None:
            return case
    naming = Q(member_id=setting.member_id) | Q(
        companions__member_id=setting.member_id, companions__removed_at__isnull=True
    )
    return cases.filter(naming, closed_at__isnull=True).order_by("-opened_at").first()


def card_procedures_of(case: ProtectionCase) -> CardProcedures:
    return CardProcedures(
        card_suspension_confirmed_on=case.card_suspension_confirmed_on,
        proxy_cancel_confirmed_on=case.proxy_cancel_confirmed_on,
        number_change_advised_on=case.number_change_advised_on,
        number_change_confirmed_on=case.number_change_confirmed_on,
        card_suspension_not_applicable=case.card_suspension_not_applicable,
    )


def case_facts(case: ProtectionCase, *, person_id: int | None = None) -> CardProxyFacts:
    """Nakama's facts about one person the case protects (default: her), against the case's linked persons."""
    linked = list(case.linked_persons.filter(removed_at__isnull=True).values_list("person_id", flat=True))
    return facts_for(person_id=person_id or case.member.person_id, linked_person_ids=linked,
                     card_advised_on=case.card_suspension_advised_on)


def case_gate(case: ProtectionCase, *, person_id: int | None = None, kind: str = "non_disclosure") -> CardGate:
    """The gate's answer for the case as a whole (shown on the case page and in the API)."""
    return decide_gate(kind, case_card_or_proxy=case.case_card_or_proxy, procedures=card_procedures_of(case),
                       facts=case_facts(case, person_id=person_id))


def case_gates(cases) -> dict[int, CardGate]:
    """case_gate for each case of a list (their `linked_persons` and `member` fetched with them): the facts of all
    of them asked at once."""
    questions = [FactQuestion(c.member.person_id, tuple(link.person_id for link in c.linked_persons.all()
                                                        if link.removed_at is None), c.card_suspension_advised_on)
                 for c in cases]
    return {
        c.pk: decide_gate("non_disclosure", case_card_or_proxy=c.case_card_or_proxy,
                          procedures=card_procedures_of(c), facts=facts)
        for c, facts in zip(cases, facts_for_many(questions), strict=True)
    }


def pending_handover_case_1(setting: Setting) -> Handover | None:
    """A 同伴者's 引継ぎによる仮設定 made before she is the new insurer's member has no case there yet: the pending
    handover of a case ① that names the person as 同伴者 governs it, with the checklist it carries."""
    if setting.case_id is not None or setting.source != SettingSource.HANDOVER:
        return None
    return (Handover.objects.filter(to_institution_id=setting.institution_id, state=HandoverState.PENDING,
                                    case_card_or_proxy=True, companions__person_id=setting.person_id)
            .order_by("offered_at", "pk").first())


def handover_gate(handover: Handover, *, person_id: int, kind: str) -> CardGate:
    """The gate for a person a pending handover of a case ① protects: its carried checklist, Nakama's facts."""
    procedures = CardProcedures(
        card_suspension_confirmed_on=handover.card_suspension_confirmed_on,
        proxy_cancel_confirmed_on=handover.proxy_cancel_confirmed_on,
        number_change_advised_on=handover.number_change_advised_on,
        number_change_confirmed_on=handover.number_change_confirmed_on,
        card_suspension_not_applicable=handover.card_suspension_not_applicable,
    )
    facts = facts_for(person_id=person_id, linked_person_ids=list(handover.linked_persons.values_list("pk", flat=True)),
                      card_advised_on=handover.card_suspension_advised_on)
    return decide_gate(kind, case_card_or_proxy=True, procedures=procedures, facts=facts)


def gate_for(setting: Setting) -> tuple[ProtectionCase | Handover | None, CardGate]:
    """The governing case ① of the setting (or the pending handover of one, or None) and the gate's answer for
    clearing it."""
    case = card_procedure_case(setting)
    if case is not None:
        return case, case_gate(case, person_id=setting.person_id, kind=setting.kind)
    handover = pending_handover_case_1(setting)
    if handover is not None:
        return handover, handover_gate(handover, person_id=setting.person_id, kind=setting.kind)
    return None, CardGate(applies=False)


def gate_display(case: ProtectionCase | Handover, gate: CardGate) -> dict:
    """What the console's card-procedure panel shows (console/_card_procedures.html)."""
    return {"case": case, "missing": list(gate.missing), "contradicted": list(gate.contradicted),
            "refused": gate.refused, "pending_handover": isinstance(case, Handover)}


def gate_summary(gate: CardGate) -> str:
    """「未記録: …／中間サーバーの記録: …」, for messages."""
    parts = []
    if gate.missing:
        parts.append(f"未記録: {'、'.join(gate.missing)}")
    if gate.contradicted:
        parts.append(f"中間サーバーの記録: {'、'.join(gate.contradicted)}")
    return "／".join(parts)


def card_procedure_gate(*, actor, setting: Setting, override_reason: str = "") -> str:
    """Refuse clearing while the gate is shut, unless a 責任者 states why. Returns the override reason to record
    ("" when none was needed)."""
    _case, gate = gate_for(setting)
    if not gate.refused:
        return ""
    override_reason = (override_reason or "").strip()
    if not override_reason:
        raise ValidationError(
            f"ケース①の設定対象者です。カード停止等手続の完了が確認されていません（{gate_summary(gate)}）。"
            "設定対象者の画面で手続の状況を確認・記録するか、責任者が理由を記入して依頼してください。",
            code="card_procedures_incomplete",
        )
    if getattr(actor, "role", None) != Role.SUPERVISOR:
        raise ValidationError(
            {"override_reason": "カード停止等手続の完了前の解除依頼は、責任者のみが理由を記入して行えます。"},
            code="override_supervisor_only",
        )
    return override_reason
