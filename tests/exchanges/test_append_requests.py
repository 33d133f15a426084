"""追記依頼 (別紙2 §4): mark a record 不開示 after the fact, for our member and for the non-member abuser (case ②)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from exchanges.selectors import append_requests_for, is_shown_in_portal, portal_history
from exchanges.services import file_append_request, receive_inquiry
from tests.exchanges.conftest import department


def test_append_request_hides_a_record_about_our_member(victim, city_data, city_otsu, procedures, items, alice):
    record = receive_inquiry(
        inquirer=city_otsu, department=department(city_otsu, "福祉課"), provider=victim.insurer,
        subject=victim.person, procedure=procedures["welfare"], item=items["medical_eligibility"],
    )
    assert portal_history(person=victim.person) == [record]
    request = file_append_request(actor=alice, record=record, reason="設定対象者と判明（ケース①）")
    record.refresh_from_db()
    assert portal_history(person=victim.person) == [] and not is_shown_in_portal(record)
    assert record.appended_nondisclosure_at == request.processed_at and record.handle_with_care
    # The codes stay what they were: the 追記 is a separate fact on the record.
    assert (record.inquiry_code, record.provision_code) == (False, False)
    assert list(append_requests_for(alice)) == [request]
    assert (request.institution, request.requested_by, request.reason) == (
        victim.insurer, alice, "設定対象者と判明（ケース①）",
    )


def test_append_request_hides_a_record_about_the_abuser(abuser, city_data, city_ko, ask, alice, sam):
    record = ask(city_ko, sim_id=abuser.sim_id)  # sent without code: his history names Ａ健康保険組合
    assert portal_history(person=abuser)[0].inquirer_department_display == "Ａ健康保険組合 業務部"
    request = file_append_request(actor=sam, record=record, reason="加害者に係る照会（ケース②）")
    assert portal_history(person=abuser) == []
    entry = AuditEntry.objects.get(action="append_request.filed", target_id=str(record.pk))
    assert entry.actor == sam and entry.institution == alice.institution
    assert entry.message == "加害者に係る照会（ケース②）" and entry.after["append_request"] == str(request.pk)


def test_control_without_append_request_the_record_stays(abuser, city_data, city_ko, ask, alice):
    record = ask(city_ko, sim_id=abuser.sim_id)
    assert portal_history(person=abuser) == [record] and list(append_requests_for(alice)) == []


def test_second_append_request_on_the_same_record_is_refused(abuser, city_data, city_ko, ask, alice, sam):
    record = ask(city_ko, sim_id=abuser.sim_id)
    file_append_request(actor=alice, record=record, reason="ケース②")
    with pytest.raises(ValidationError, match="すでに追記依頼（不開示）が反映されています"):
        file_append_request(actor=sam, record=record, reason="ケース②")


def test_append_requests_are_listed_only_for_the_own_insurer(abuser, city_data, city_ko, ask, alice, audrey, bob):
    request = file_append_request(actor=alice, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
    assert list(append_requests_for(audrey)) == [request]
    assert list(append_requests_for(bob)) == []
    assert list(append_requests_for(None)) == []


def test_auditor_cannot_file(abuser, city_data, city_ko, ask, audrey):
    with pytest.raises(PermissionDenied):
        file_append_request(actor=audrey, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
