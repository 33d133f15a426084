"""差戻し is work (issue 17 point 4): NWS turned our 追記依頼 down. The dashboard, the home page and the case page
show it with NWS's reason and age; the sweep marks the line 「差戻し」 and files it again in one confirmed step."""

import re

from django.urls import reverse

from audit.models import AuditEntry
from exchanges.models import AppendRequest, AppendRequestStatus
from exchanges.nws import reject_append_request
from exchanges.services import InquiryRequest, send_inquiry
from exchanges.sweep import exposure_sweep, file_sweep_append_requests
from flags.services import open_protection_case
from tests.api.conftest import client_for


def _rejected_case(alice, victim, abuser, city_ko, items, procedures):
    record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=abuser.sim_id))
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, linked_persons=[abuser], reason="本人の申出")
    [filed] = file_sweep_append_requests(actor=alice, case=case, record_ids=[record.pk], reason="登録前の照会")
    reject_append_request(request_id=filed.pk, reason="対象記録の特定に誤りがあります")
    return case, record, filed


def _tile(body: str) -> str:
    match = re.search(r'id="rejected-tile"><span class="num">(\d+)</span>差戻しの追記依頼', body)
    assert match, "no 差戻し tile"
    return match.group(1)


def test_a_rejection_is_shown_as_work_and_filed_again_in_one_confirmed_step(
    alice, sam, victim, abuser, city_ko, items, procedures, as_user, client
):
    case, record, rejected = _rejected_case(alice, victim, abuser, city_ko, items, procedures)
    as_user(sam)
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert _tile(dashboard) == "1" and "対象記録の特定に誤りがあります" in dashboard
    as_user(alice)
    home = client.get(reverse("console:home")).content.decode()
    assert _tile(home) == "1" and "対象記録の特定に誤りがあります" in home
    case_page = client.get(reverse("console:case_detail", args=[case.pk])).content.decode()
    section = case_page[case_page.index('id="case-rejections"'):]
    assert "対象記録の特定に誤りがあります" in section and "経過" in section

    url = reverse("console:case_exposure", args=[case.pk])
    sweep = client.get(url).content.decode()
    row = sweep[sweep.index(f'value="{record.pk}"') - 200:]
    assert "差戻し" in row[:2000] and "対象記録の特定に誤りがあります" in row[:2000]
    assert re.search(rf'value="{record.pk}"[^>]*checked', sweep), "the 差戻し line is chosen already"

    form = {"records": [str(record.pk)], "reason": "記録を特定し直して再依頼"}
    confirm = client.post(url, form).content.decode()
    assert "差戻しの再依頼" in confirm and "対象記録の特定に誤りがあります" in confirm
    assert AppendRequest.objects.count() == 1  # nothing before the confirmation
    assert client.post(url, {**form, "confirmed": "1"}).status_code == 302
    again = AppendRequest.objects.exclude(pk=rejected.pk).get()
    assert again.status == AppendRequestStatus.PENDING and again.record_id == record.pk
    entry = AuditEntry.objects.filter(action="case.exposure_sweep_filed").latest("id")
    assert entry.after["refiled_rejections"] == [str(rejected.pk)] and entry.actor == alice
    # Filed again: no longer work, and the line is 依頼中.
    as_user(sam)
    assert _tile(client.get(reverse("console:dashboard")).content.decode()) == "0"
    [line] = exposure_sweep(user=alice, case=case)
    assert line.status == "pending" and line.rejected is None


def test_the_sweep_api_marks_rejected_lines(alice, victim, abuser, city_ko, items, procedures):
    case, record, rejected = _rejected_case(alice, victim, abuser, city_ko, items, procedures)
    body = client_for(alice).get(f"/api/v1/cases/{case.pk}/exposure/").json()
    [line] = body["results"]
    assert line["status"] == "rejected" and line["selectable"] is True
    assert line["rejected_append_request"] == str(rejected.pk)
    assert line["rejection_reason"] == "対象記録の特定に誤りがあります"


def test_another_insurers_rejections_are_not_counted(
    alice, bob, victim, abuser, city_ko, items, procedures, as_user, client
):
    _rejected_case(alice, victim, abuser, city_ko, items, procedures)
    as_user(bob)
    home = client.get(reverse("console:home")).content.decode()
    assert _tile(home) == "0" and "対象記録の特定に誤りがあります" not in home
