"""The case ① card-procedure gate (別紙2 §3 ①, SPEC rule 13), exhaustively: every setting kind, case ① or not, every
combination of the typed checklist (card suspension confirmed / 対象外, proxy cancellation confirmed, a new number
advised and confirmed) against every combination of Nakama's own facts (known, her card not stopped, a linked person
still her 代理人). The expected answer is written out from the rule here, not read from flags.policy."""

import datetime
import itertools

import pytest

from flags import policy
from flags.policy import CardProcedures, CardProxyFacts, SettingKind

DAY = datetime.date(2026, 4, 3)
BOOLS = (False, True)
# (suspension confirmed, suspension 対象外, proxy cancel confirmed, number change advised, number change confirmed)
CHECKLISTS = [c for c in itertools.product(BOOLS, repeat=5) if not (c[4] and not c[3])]
FACTS = list(itertools.product(BOOLS, repeat=3))  # (known, card not stopped, linked proxy)


def _procedures(c) -> CardProcedures:
    confirmed, not_applicable, proxy, advised, changed = c
    return CardProcedures(
        card_suspension_confirmed_on=DAY if confirmed else None, proxy_cancel_confirmed_on=DAY if proxy else None,
        number_change_advised_on=DAY if advised else None, number_change_confirmed_on=DAY if changed else None,
        card_suspension_not_applicable=not_applicable,
    )


def _expected(kind, case_1, c, facts) -> bool:
    """Refused? Only case ①'s 不開示該当 and 自己情報提供不可 wait. They wait until every typed confirmation is there
    (a suspension either confirmed or 対象外; the proxy cancellation; a new number where one was advised) AND the
    facts are known and agree: no card of hers left unstopped (unless 対象外), no linked person still her proxy."""
    if not case_1 or kind == SettingKind.NO_AUTO_RESPONSE:
        return False
    confirmed, not_applicable, proxy, advised, changed = c
    known, card_not_stopped, linked_proxy = facts
    typed_ok = (confirmed or not_applicable) and proxy and (changed or not advised)
    facts_ok = known and not (card_not_stopped and not not_applicable) and not linked_proxy
    return not (typed_ok and facts_ok)


@pytest.mark.parametrize("kind", list(SettingKind))
@pytest.mark.parametrize("case_1", BOOLS)
@pytest.mark.parametrize("checklist", CHECKLISTS)
@pytest.mark.parametrize("facts", FACTS)
def test_card_gate_table(kind, case_1, checklist, facts):
    known, card_not_stopped, linked_proxy = facts
    gate = policy.card_procedure_gate(
        kind, case_card_or_proxy=case_1, procedures=_procedures(checklist),
        facts=CardProxyFacts(known=known, card_not_stopped=card_not_stopped, linked_proxy=linked_proxy),
    )
    assert gate.refused is _expected(kind, case_1, checklist, facts)
    assert gate.refused is bool(gate.applies and gate.reasons)


def test_typed_dates_do_not_outweigh_the_facts():
    typed = CardProcedures(card_suspension_confirmed_on=DAY, proxy_cancel_confirmed_on=DAY)
    for facts, said in [
        (CardProxyFacts(card_not_stopped=True), "停止されずに使える"),
        (CardProxyFacts(linked_proxy=True), "代理人に設定されたまま"),
        (policy.FACTS_UNKNOWN, "確認できません"),
    ]:
        gate = policy.card_procedure_gate(SettingKind.NON_DISCLOSURE, case_card_or_proxy=True, procedures=typed,
                                          facts=facts)
        assert gate.refused and not gate.missing and said in gate.contradicted[0]


def test_not_applicable_needs_no_suspension_date_but_still_the_proxy():
    procedures = CardProcedures(card_suspension_not_applicable=True)
    gate = policy.card_procedure_gate(SettingKind.NO_SELF_INFO, case_card_or_proxy=True, procedures=procedures,
                                      facts=CardProxyFacts(card_not_stopped=True))
    assert gate.missing == ("代理人設定の解除の確認日",) and gate.contradicted == ()


@pytest.mark.parametrize("her_kinds", [set(c) for n in range(4) for c in itertools.combinations(SettingKind, n)])
@pytest.mark.parametrize("case_1", BOOLS)
def test_companions_get_her_protections_and_case_1s_two_at_least(her_kinds, case_1):
    got = policy.companion_setting_kinds(her_kinds, case_card_or_proxy=case_1)
    expected = set(her_kinds) | ({SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO} if case_1 else set())
    assert set(got) == expected and len(got) == len(expected)
    assert got == [k for k in SettingKind if k in expected]  # a fixed order
