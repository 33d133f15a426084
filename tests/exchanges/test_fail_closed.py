"""Rule 1, fail closed: if the 不開示該当フラグ check cannot be made, nothing is sent and nothing is half-written."""

import pytest
from django.db import DatabaseError

from audit.models import AuditEntry
from exchanges.models import ExchangeRecord, ExchangeState
from exchanges.services import InquiryNotSent, ProvisionNotSent, approve_manual_response, receive_inquiry
from flags import selectors as flag_selectors
from flags.policy import SettingKind


def _broken(*args, **kwargs):
    raise DatabaseError("connection lost during the flag check")


def test_database_error_during_flag_check_sends_nothing_and_audits_nothing(
    victim, city_data, city_ko, flag, ask, monkeypatch
):
    flag(victim)
    audit_before = AuditEntry.objects.count()
    monkeypatch.setattr(flag_selectors, "both_sides", _broken)
    with pytest.raises(InquiryNotSent) as caught:
        ask(city_ko, member=victim)
    assert str(caught.value) == (
        "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。時間をおいて再度お試しください。"
    )
    assert caught.value.code == "flag_check_failed"
    assert ExchangeRecord.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_error_after_the_record_is_saved_leaves_no_half_written_record(victim, city_data, city_ko, ask, monkeypatch):
    """The settings check of both sides passes (the provider's 副本 comes with it) and the record is saved; the
    audit write then fails on the database: the record already saved is rolled back too."""
    from exchanges import inquiries

    calls = []

    def audit_breaks(*entries):
        calls.append(entries)
        assert ExchangeRecord.objects.count() == 1  # saved inside the transaction before the failure
        raise DatabaseError("connection lost at the audit write")

    monkeypatch.setattr(inquiries, "audit_append", audit_breaks)
    with pytest.raises(InquiryNotSent):
        ask(city_ko, member=victim)
    assert len(calls) == 1
    assert ExchangeRecord.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="inquiry.").exists()


def test_control_the_same_inquiry_goes_out_when_the_check_works(victim, city_data, city_ko, flag, ask):
    flag(victim)
    record = ask(city_ko, member=victim)
    assert ExchangeRecord.objects.get() == record and record.inquiry_code
    assert AuditEntry.objects.filter(action="inquiry.sent", target_id=str(record.pk)).count() == 1


def test_database_error_at_approval_provides_nothing(victim, city_otsu, flag, procedures, items, alice, monkeypatch):
    flag(victim, SettingKind.NO_AUTO_RESPONSE)
    record = receive_inquiry(
        inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )
    monkeypatch.setattr(flag_selectors, "both_sides", _broken)
    with pytest.raises(ProvisionNotSent, match="情報提供を送信しませんでした"):
        approve_manual_response(actor=alice, record=record)
    record.refresh_from_db()
    assert record.state == ExchangeState.MANUAL and record.provided_at is None and record.provided_content is None
    assert not AuditEntry.objects.filter(action="manual_response.approved").exists()


def test_the_caller_transaction_survives_a_failed_send(victim, city_data, city_ko, ask, monkeypatch):
    """A page or import that wraps the call in its own transaction can still write after InquiryNotSent."""
    from django.db import transaction

    with transaction.atomic():
        monkeypatch.setattr(flag_selectors, "both_sides", _broken)
        with pytest.raises(InquiryNotSent):
            ask(city_ko, member=victim)
        monkeypatch.undo()
        record = ask(city_ko, member=victim)
    assert list(ExchangeRecord.objects.all()) == [record]
