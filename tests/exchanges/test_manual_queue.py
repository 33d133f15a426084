"""The manual-response queue (自動応答不可, 別紙1 ③): rules checked again at approval (別紙1 ※2), content
correction (別紙3 ③), decline (提供せず), each step in the audit trail with who and when."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from exchanges.models import ExchangeState
from exchanges.selectors import manual_queue_for, portal_history
from exchanges.services import approve_manual_response, decline_manual_response, receive_inquiry
from flags.policy import SettingKind
from tests.exchanges.conftest import department


@pytest.fixture
def queued(victim, city_otsu, flag, procedures, items):
    """乙市 asks about the victim while insurer A answers her by hand only."""
    flag(victim, SettingKind.NO_AUTO_RESPONSE)
    return receive_inquiry(
        inquirer=city_otsu, department=department(city_otsu, "福祉課"), provider=victim.insurer,
        subject=victim.person, procedure=procedures["welfare"], item=items["medical_eligibility"],
    )


def _actions(record):
    return list(AuditEntry.objects.filter(target_id=str(record.pk)).order_by("id").values_list("action", flat=True))


def test_flag_set_while_waiting_forces_code_at_approval_without_being_asked(queued, victim, flag, alice):
    assert queued.state == ExchangeState.MANUAL and not queued.provision_code
    flag(victim)  # 不開示該当 set after the inquiry arrived
    record = approve_manual_response(actor=alice, record=queued)  # nondisclosure_code not asked for
    assert record.state == ExchangeState.PROVIDED
    assert (record.provision_code, record.provision_code_source, record.provision_code_by) == (True, "auto", None)
    assert record.handle_with_care and portal_history(person=victim.person) == []
    entry = AuditEntry.objects.get(action="manual_response.approved", target_id=str(record.pk))
    assert entry.after["provision_code_source"] == "auto" and entry.actor == alice


def test_control_without_the_late_flag_approval_sends_without_code(queued, victim, alice):
    record = approve_manual_response(actor=alice, record=queued)
    assert (record.provision_code, record.provision_code_source) == (False, "")
    assert not record.handle_with_care and portal_history(person=victim.person) == [record]


def test_auto_code_at_approval_cannot_be_removed_by_passing_false(queued, victim, flag, alice):
    flag(victim)
    record = approve_manual_response(actor=alice, record=queued, nondisclosure_code=False)
    assert record.provision_code and record.provision_code_source == "auto"


def test_staff_may_attach_the_code_by_hand_when_no_flag_forces_it(queued, alice):
    record = approve_manual_response(actor=alice, record=queued, nondisclosure_code=True)
    assert (record.provision_code_source, record.provision_code_by) == ("manual", alice)


def test_content_correction_is_sent_recorded_and_audited(queued, alice):
    content = {**queued.subject.replicas.first().content, "資格喪失日": "2026-07-01"}
    record = approve_manual_response(actor=alice, record=queued, content=content)
    assert record.provided_content == content and record.content_corrected and record.responded_by == alice
    entry = AuditEntry.objects.get(action="manual_response.approved", target_id=str(record.pk))
    assert entry.before["content"]["資格喪失日"] is None
    assert entry.after["content"]["資格喪失日"] == "2026-07-01" and entry.after["content_corrected"] is True
    assert entry.message == "提供内容を修正して送信" and entry.at is not None and entry.actor_name == "アリス 担当"


def test_unchanged_content_is_not_marked_corrected(queued, alice):
    record = approve_manual_response(actor=alice, record=queued, content=dict(queued.subject.replicas.first().content))
    assert not record.content_corrected


def test_decline_leaves_the_record_incomplete_hidden_and_audited(queued, victim, sam):
    record = decline_manual_response(actor=sam, record=queued, reason="資格喪失の確認中のため")
    assert record.state == ExchangeState.DECLINED and record.provided_at is None and record.provided_content is None
    assert record.decline_reason == "資格喪失の確認中のため" and record.responded_by == sam
    assert portal_history(person=victim.person) == []  # 別紙1 ※1: not complete, not shown
    assert list(manual_queue_for(sam)) == []
    entry = AuditEntry.objects.get(action="manual_response.declined", target_id=str(record.pk))
    assert entry.actor == sam and entry.message == "資格喪失の確認中のため" and entry.after == {"state": "declined"}


def test_every_step_is_in_the_audit_trail_of_the_provider(queued, victim, flag, alice):
    flag(victim)
    approve_manual_response(actor=alice, record=queued)
    assert _actions(queued) == ["inquiry.received", "manual_response.approved"]
    received = AuditEntry.objects.get(action="inquiry.received", target_id=str(queued.pk))
    assert received.institution == victim.insurer and received.after["state"] == "manual"


def test_queue_lists_only_the_own_insurers_waiting_inquiries(queued, alice, bob, audrey):
    assert list(manual_queue_for(alice)) == [queued]
    assert list(manual_queue_for(audrey)) == [queued]  # the auditor reads
    assert list(manual_queue_for(bob)) == []


def test_auditor_cannot_approve_or_decline(queued, audrey):
    with pytest.raises(PermissionDenied):
        approve_manual_response(actor=audrey, record=queued)
    with pytest.raises(PermissionDenied):
        decline_manual_response(actor=audrey, record=queued, reason="理由")


def test_other_insurer_cannot_touch_the_queue_and_learns_nothing(queued, bob):
    with pytest.raises(ValidationError, match="対象の照会が見つかりません"):
        approve_manual_response(actor=bob, record=queued)
    with pytest.raises(ValidationError, match="対象の照会が見つかりません"):
        decline_manual_response(actor=bob, record=queued, reason="理由")
    queued.refresh_from_db()
    assert queued.state == ExchangeState.MANUAL
