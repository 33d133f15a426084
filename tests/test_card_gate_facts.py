"""Issue 17 point 3: the case ① gate asks the facts Nakama holds (her card, her 代理人), not only the typed dates —
on the clearing request, its approval and the case's closure; a 責任者's stated override still works (audited); card
suspension may be 「対象外」 when only the proxy was the threat."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from flags import facts
from flags.case_lifecycle import decide_case_closure, request_case_closure
from flags.models import Setting
from flags.policy import SettingKind
from flags.services import decide_clearing, open_protection_case, request_clearing, update_case_checklist
from portal_sim.models import Card
from portal_sim.services import issue_card, name_proxy, remove_proxy, suspend_card

DAY = datetime.date(2026, 4, 3)
TYPED_DONE = {"card_suspension_advised_on": DAY, "card_suspension_confirmed_on": DAY,
              "proxy_cancel_advised_on": DAY, "proxy_cancel_confirmed_on": DAY}


@pytest.fixture(autouse=True)
def fast_pin_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _case_1(alice, victim, abuser, **dates):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])
    return update_case_checklist(actor=alice, case=case, **(dates or TYPED_DONE))


def _old_card(person):
    """The card she left with him: issued long before the suspension was advised."""
    card = issue_card(person=person, pin="1234")
    Card.objects.filter(pk=card.pk).update(issued_at=timezone.now() - datetime.timedelta(days=900))
    return card


def _nd(member):
    return Setting.objects.active().get(member=member, kind=SettingKind.NON_DISCLOSURE, item__isnull=True)


def test_typed_suspension_date_is_refused_while_her_old_card_still_works(alice, victim, abuser):
    _case_1(alice, victim, abuser)
    card = _old_card(victim.person)
    with pytest.raises(ValidationError, match="停止されずに使える") as exc:
        request_clearing(actor=alice, setting=_nd(victim), reason="手続完了と聞いた")
    assert exc.value.code == "card_procedures_incomplete"
    suspend_card(card=card, reason="本人の届出")
    assert request_clearing(actor=alice, setting=_nd(victim), reason="停止を確認")


def test_a_card_reissued_after_the_advice_is_hers_and_does_not_hold_clearing(alice, victim, abuser):
    _case_1(alice, victim, abuser)
    _old_card(victim.person)
    issue_card(person=victim.person, pin="5678")  # 再交付: the old card is replaced, the new one is with her
    assert request_clearing(actor=alice, setting=_nd(victim), reason="再交付を確認")


def test_typed_proxy_cancellation_is_refused_while_the_abuser_is_still_her_proxy(alice, victim, abuser):
    _case_1(alice, victim, abuser)
    name_proxy(principal=victim.person, agent=abuser)
    with pytest.raises(ValidationError, match="代理人に設定されたまま"):
        request_clearing(actor=alice, setting=_nd(victim), reason="解除済みと聞いた")
    remove_proxy(principal=victim.person, agent=abuser)
    assert request_clearing(actor=alice, setting=_nd(victim), reason="解除を確認")


def test_approval_asks_the_facts_again(alice, sam, victim, abuser):
    _case_1(alice, victim, abuser)
    req = request_clearing(actor=alice, setting=_nd(victim), reason="手続完了")
    name_proxy(principal=victim.person, agent=abuser)  # he got her to name him again meanwhile
    with pytest.raises(ValidationError, match="代理人に設定されたまま"):
        decide_clearing(actor=sam, clearing_request=req, approve=True)
    assert _nd(victim).is_active


def test_closing_the_case_with_its_flags_asks_the_facts(alice, sam, sue, victim, abuser):
    case = _case_1(alice, victim, abuser)
    name_proxy(principal=victim.person, agent=abuser)
    with pytest.raises(ValidationError, match="代理人に設定されたまま"):
        request_case_closure(actor=alice, case=case, reason="終了", clear_settings=True)
    closure = request_case_closure(actor=sam, case=case, reason="終了", clear_settings=True,
                                   override_reason="代理人は本人が窓口で解除手続中、市と確認済み")
    entry = AuditEntry.objects.get(action="case.close_override")
    assert entry.message.startswith("代理人は本人が窓口で")
    decide_case_closure(actor=sue, closure=closure, approve=True)
    assert not Setting.objects.active().filter(member=victim).exists()


def test_a_supervisor_override_states_why_and_is_audited_with_the_facts(alice, sam, sue, victim, abuser):
    _case_1(alice, victim, abuser)
    name_proxy(principal=victim.person, agent=abuser)
    with pytest.raises(ValidationError) as exc:
        request_clearing(actor=alice, setting=_nd(victim), reason="解除", override_reason="急ぎ")
    assert "override_reason" in exc.value.message_dict
    req = request_clearing(actor=sam, setting=_nd(victim), reason="解除", override_reason="本人が強く希望、危険なしと確認")
    entry = AuditEntry.objects.get(action="setting.clear_override")
    assert any("代理人に設定されたまま" in reason for reason in entry.after["gate"])
    decide_clearing(actor=sue, clearing_request=req, approve=True)
    assert not Setting.objects.filter(pk=req.setting_id, cleared_at__isnull=True).exists()


def test_card_suspension_not_applicable_when_only_the_proxy_was_the_threat(alice, victim, abuser):
    case = _case_1(alice, victim, abuser, proxy_cancel_advised_on=DAY, proxy_cancel_confirmed_on=DAY)
    _old_card(victim.person)  # her own card, with her all along
    with pytest.raises(ValidationError, match="カード停止の完了確認日"):
        request_clearing(actor=alice, setting=_nd(victim), reason="代理人解除を確認")
    with pytest.raises(ValidationError) as exc:
        update_case_checklist(actor=alice, case=case, card_suspension_not_applicable=True)
    assert "card_suspension_not_applicable_reason" in exc.value.message_dict
    update_case_checklist(actor=alice, case=case, card_suspension_not_applicable=True,
                          card_suspension_not_applicable_reason="カードは本人が所持（代理人設定のみが問題）")
    assert AuditEntry.objects.filter(action="case.checklist_updated",
                                     after__card_suspension_not_applicable=True).exists()
    assert request_clearing(actor=alice, setting=_nd(victim), reason="代理人解除を確認")


def test_not_applicable_leaves_no_suspension_dates_beside_it(alice, victim, abuser):
    case = _case_1(alice, victim, abuser)
    with pytest.raises(ValidationError) as exc:
        update_case_checklist(actor=alice, case=case, card_suspension_not_applicable=True,
                              card_suspension_not_applicable_reason="代理人のみ")
    assert "card_suspension_not_applicable" in exc.value.message_dict


def test_without_a_fact_provider_the_gate_fails_closed(alice, victim, abuser, monkeypatch):
    _case_1(alice, victim, abuser)
    monkeypatch.setattr(facts, "_providers", [])
    with pytest.raises(ValidationError, match="確認できません"):
        request_clearing(actor=alice, setting=_nd(victim), reason="解除")
