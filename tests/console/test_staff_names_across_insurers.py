"""Another insurer sees our institution and department on a record, never our staff's names (issue 9 point 8).

Ａ's clerk アリス inquires of insurer Ｂ about Ｂ's member with 不開示コード set by hand; Ｂ's clerk ボブ answers it from
the manual-response queue with 不開示コード. Each side sees its own staff by name and the other side only as
「<保険者名> <部署名>」 — in the console (record page, history, queue) and in the API."""

import pytest
from django.test import Client

from exchanges.services import InquiryRequest, approve_manual_response, send_inquiry
from flags.policy import SettingKind
from flags.services import set_setting
from tests import factories as f
from tests.api.conftest import client_for

A_NAME, B_NAME = "アリス 担当", "ボブ 担当"
A_DEPT, B_DEPT = "Ａ健康保険組合 業務部", "Ｂ県後期高齢者医療広域連合 資格保険料課"


@pytest.fixture
def answered(alice, bob, procedures, items):
    b_member = f.MemberFactory(insurer=bob.institution)
    f.ReplicaFactory(member=b_member)
    set_setting(actor=bob, member=b_member, kind=SettingKind.NO_AUTO_RESPONSE, reason="副本の確認")
    record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["eligibility_check"], item=items["medical_eligibility"], provider=bob.institution,
        sim_id=b_member.person.sim_id, nondisclosure_code=True))
    record = approve_manual_response(actor=bob, record=record, content=None, nondisclosure_code=True)
    assert record.inquired_by == record.inquiry_code_by == alice
    assert record.responded_by == record.provision_code_by == bob
    return record


def _page(staff, path):
    client = Client()
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("path", ["/exchanges/{pk}/", "/exchanges/"])
def test_insurer_b_console_shows_a_department_never_a_clerk_name(answered, alice, bob, path):
    page = _page(bob, path.format(pk=answered.pk))
    assert A_NAME not in page and "アリス" not in page
    if "{pk}" in path:
        assert f"<dt>照会者</dt><dd>{A_DEPT}</dd>" in page
    assert B_NAME in page  # our own staff by name


@pytest.mark.parametrize("path", ["/exchanges/{pk}/", "/exchanges/"])
def test_insurer_a_console_does_not_show_the_name_of_bs_responder(answered, alice, bob, path):
    page = _page(alice, path.format(pk=answered.pk))
    assert B_NAME not in page and "ボブ" not in page
    assert B_DEPT in page
    assert A_NAME in page


def test_the_manual_response_page_names_only_our_own_staff(answered, bob):
    page = _page(bob, f"/manual-responses/{answered.pk}/")
    assert "アリス" not in page and B_NAME in page


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_api_never_shows_another_insurers_staff_names(answered, alice, bob, who):
    staff, other = (alice, bob) if who == "alice" else (bob, alice)
    api = client_for(staff)
    for path in (f"/api/v1/exchanges/{answered.pk}/", "/api/v1/exchanges/"):
        response = api.get(path)
        assert response.status_code == 200
        text = response.content.decode()
        assert other.display_name not in text and other.username not in text
