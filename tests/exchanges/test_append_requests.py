"""追記依頼 (別紙2 §4) as a request to NWS: 依頼中 until the simulated NWS processes it (処理済) or turns it down
(差戻し). The record stays shown in マイナポータル until processed."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from audit.models import AuditEntry
from exchanges import nws
from exchanges.models import AppendRequest, AppendRequestStatus
from exchanges.selectors import append_requests_for, is_shown_in_portal, pending_appends_for, portal_history
from exchanges.services import AppendRequestExists, file_append_request, receive_inquiry
from tests.exchanges.conftest import department


def test_append_request_hides_a_record_about_our_member_once_nws_processed_it(
    victim, city_data, city_otsu, procedures, items, alice
):
    record = receive_inquiry(
        inquirer=city_otsu, department=department(city_otsu, "福祉課"), provider=victim.insurer,
        subject=victim.person, procedure=procedures["welfare"], item=items["medical_eligibility"],
    )
    assert portal_history(person=victim.person) == [record]
    request = file_append_request(actor=alice, record=record, reason="設定対象者と判明（ケース①）")
    record.refresh_from_db()
    # 依頼中: nothing changed on the record yet; it is still shown.
    assert request.status == AppendRequestStatus.PENDING and request.processed_at is None
    assert record.appended_nondisclosure_at is None and portal_history(person=victim.person) == [record]
    nws.process_pending_append_requests()
    record.refresh_from_db()
    request.refresh_from_db()
    assert portal_history(person=victim.person) == [] and not is_shown_in_portal(record)
    assert request.status == AppendRequestStatus.PROCESSED
    assert record.appended_nondisclosure_at == request.processed_at and record.handle_with_care
    # The codes stay what they were: the 追記 is a separate fact on the record.
    assert (record.inquiry_code, record.provision_code) == (False, False)
    assert list(append_requests_for(alice)) == [request]
    assert (request.institution, request.requested_by, request.reason) == (
        victim.insurer, alice, "設定対象者と判明（ケース①）",
    )


def test_append_request_hides_a_record_about_the_abuser_after_processing(abuser, city_data, city_ko, ask, alice, sam):
    record = ask(city_ko, sim_id=abuser.sim_id)  # sent without code: his history names Ａ健康保険組合
    assert portal_history(person=abuser)[0].inquirer_department_display == "Ａ健康保険組合 業務部"
    request = file_append_request(actor=sam, record=record, reason="加害者に係る照会（ケース②）")
    assert portal_history(person=abuser) == [record]
    call_command("nws_process_append_requests")
    assert portal_history(person=abuser) == []
    entry = AuditEntry.objects.get(action="append_request.filed", target_id=str(record.pk))
    assert entry.actor == sam and entry.institution == alice.institution
    assert entry.message == "加害者に係る照会（ケース②）" and entry.after["append_request"] == str(request.pk)
    processed = AuditEntry.objects.get(action="append_request.processed", target_id=str(record.pk))
    assert processed.actor is None and processed.institution == alice.institution


def test_control_without_append_request_the_record_stays(abuser, city_data, city_ko, ask, alice):
    record = ask(city_ko, sim_id=abuser.sim_id)
    call_command("nws_process_append_requests")
    assert portal_history(person=abuser) == [record] and list(append_requests_for(alice)) == []


def test_nws_rejects_a_request_with_its_reason_and_the_record_stays_shown(abuser, city_data, city_ko, ask, alice):
    record = ask(city_ko, sim_id=abuser.sim_id)
    request = file_append_request(actor=alice, record=record, reason="ケース②")
    call_command("nws_process_append_requests", reject=str(request.pk), reason="対象記録の特定ができません")
    request.refresh_from_db()
    assert request.status == AppendRequestStatus.REJECTED and request.rejection_reason == "対象記録の特定ができません"
    call_command("nws_process_append_requests")  # nothing pending any more
    assert portal_history(person=abuser) == [record]
    assert AuditEntry.objects.filter(action="append_request.rejected", target_id=str(record.pk)).count() == 1
    # After a 差戻し the insurer may file again.
    again = file_append_request(actor=alice, record=record, reason="記録を特定して再依頼")
    assert again.status == AppendRequestStatus.PENDING


def test_second_append_request_on_the_same_record_is_refused_with_the_existing_one(
    abuser, city_data, city_ko, ask, alice, sam
):
    record = ask(city_ko, sim_id=abuser.sim_id)
    first = file_append_request(actor=alice, record=record, reason="ケース②")
    with pytest.raises(AppendRequestExists, match="すでに追記依頼があります（依頼中") as refused:
        file_append_request(actor=sam, record=record, reason="ケース②")
    assert refused.value.existing == first
    nws.process_pending_append_requests()
    with pytest.raises(AppendRequestExists, match="処理済"):
        file_append_request(actor=sam, record=record, reason="ケース②")


def test_processing_twice_is_refused(abuser, city_data, city_ko, ask, alice):
    request = file_append_request(actor=alice, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
    nws.process_append_request(request_id=request.pk)
    with pytest.raises(ValidationError, match="すでに処理されています"):
        nws.reject_append_request(request_id=request.pk, reason="遅れて差戻し")


def test_pending_requests_count_with_the_oldest_age_clerk_own_supervisor_all(
    abuser, city_data, city_ko, ask, alice, sam, bob
):
    file_append_request(actor=alice, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
    file_append_request(actor=sam, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
    everyone = pending_appends_for(sam)
    assert everyone.count == 2 and everyone.oldest_age is not None
    assert pending_appends_for(alice, filed_by_user=True).count == 1
    assert pending_appends_for(bob).count == 0
    nws.process_pending_append_requests()
    assert pending_appends_for(sam).count == 0 and pending_appends_for(sam).oldest_age is None


def test_append_requests_are_listed_only_for_the_own_insurer(abuser, city_data, city_ko, ask, alice, audrey, bob):
    request = file_append_request(actor=alice, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
    assert list(append_requests_for(audrey)) == [request]
    assert list(append_requests_for(bob)) == []
    assert list(append_requests_for(None)) == []


def test_auditor_cannot_file(abuser, city_data, city_ko, ask, audrey):
    with pytest.raises(PermissionDenied):
        file_append_request(actor=audrey, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")


def test_nws_list_shows_each_pending_request_with_its_age_in_japanese(abuser, city_data, city_ko, ask, alice):
    import datetime
    import io

    from django.utils import timezone

    request = file_append_request(actor=alice, record=ask(city_ko, sim_id=abuser.sim_id), reason="ケース②")
    AppendRequest.objects.filter(pk=request.pk).update(
        requested_at=timezone.now() - datetime.timedelta(days=2, hours=3, minutes=10))
    out = io.StringIO()
    call_command("nws_process_append_requests", "--list", stdout=out)
    assert f"{request.pk} 依頼中 2日3時間経過" in out.getvalue() and "依頼中: 1件" in out.getvalue()
