"""Every entry point that can send a 情報照会 ends at the one choke point (exchanges.services.send_inquiry).

Each entry point is tested by its outcome: an inquiry about a member flagged 不開示該当 made through it ends with
不開示コード set automatically; an inquiry about a person linked to an open case (要注意照会対象, e.g. the abuser, by
個人識別子) ends with 不開示コード from the link; the controls, the same inquiries without the flag or the link, end
without.

To add an entry point (console page, API endpoint, import, ...): write a `send(case)` function that makes the
inquiry the way a user of that entry point would — about `case.member` (or, when `case.person` is set, about that
person by 個人識別子), item `case.item` under
`case.procedure`, to `case.provider`, as `case.actor` (use `case.client` for HTTP) — and append
`EntryPoint("name", send)` to ENTRY_POINTS. Do not pass a 不開示コード: the point is that the flag alone sets it.
If the entry point needs something to exist before the flag is set, give it a `prepare(case)` as well.
The test finds the record the entry point created by itself, so `send` need not return it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command

from exchanges.models import ExchangeRecord
from exchanges.services import InquiryRequest, send_inquiry
from flags.links import link_person
from flags.policy import SettingKind
from flags.services import open_protection_case, set_setting
from institutions.models import Staff
from tests import factories as f


@dataclass
class InquiryCase:
    actor: Staff  # alice, a 担当者 of Ａ健康保険組合
    member: object  # the victim, her member
    provider: object  # 甲市
    procedure: object
    item: object
    client: object  # django.test.Client, not logged in
    person: object = None  # when set: the inquiry is about this person, by 個人識別子 (not about the member)
    scratch: dict = field(default_factory=dict)

    @property
    def subject(self):
        return self.person if self.person is not None else self.member.person


@dataclass(frozen=True)
class EntryPoint:
    name: str
    send: Callable[[InquiryCase], object]
    prepare: Callable[[InquiryCase], object] = lambda case: None


def _service(case: InquiryCase):
    subject = {"sim_id": case.person.sim_id} if case.person else {"member": case.member}
    send_inquiry(
        actor=case.actor,
        request=InquiryRequest(procedure=case.procedure, item=case.item, provider=case.provider, **subject),
    )


def _management_command(case: InquiryCase):
    subject = ["--person", case.person.sim_id] if case.person else ["--branch", case.member.branch_number]
    call_command(
        "send_inquiry", "--staff", case.actor.username, *subject,
        "--procedure", case.procedure.code, "--item", case.item.code, "--provider", case.provider.name,
    )


def _admin_prepare(case: InquiryCase):
    """The operator re-sends an inquiry alice made before the flag was set (see ExchangeRecordAdmin)."""
    _service(case)
    case.scratch["original"] = ExchangeRecord.objects.get()
    case.scratch["operator"] = Staff.objects.create_superuser(username="ops", password="ops-pw-for-tests")


def _admin_action(case: InquiryCase):
    case.client.force_login(case.scratch["operator"])
    response = case.client.post(
        "/ops-admin/exchanges/exchangerecord/",
        {"action": "resend_inquiries", "_selected_action": [str(case.scratch["original"].pk)]},
    )
    assert response.status_code == 302, response.content.decode()[:500]


def _console_page(case: InquiryCase):
    """The 情報照会 form, confirm then send, as a clerk fills it in (no 不開示コード ticked)."""
    case.client.force_login(case.actor)
    subject = (
        {"subject_type": "person", "sim_id": case.person.sim_id} if case.person
        else {"subject_type": "member", "branch_number": case.member.branch_number}
    )
    data = {**subject, "procedure": case.procedure.pk, "item": case.item.pk, "provider": case.provider.pk}
    assert case.client.post("/inquiries/new/", {**data, "step": "confirm"}).status_code == 200
    response = case.client.post("/inquiries/new/", {**data, "step": "send"})
    assert response.status_code == 302, response.content.decode()[:500]


def _api_client(case: InquiryCase):
    from rest_framework.test import APIClient

    from tests.api.conftest import own_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {own_token(case.actor)}")
    return client


def _api_payload(case: InquiryCase) -> dict:
    subject = {"sim_id": case.person.sim_id} if case.person else {"member": case.member.branch_number}
    return {"procedure": case.procedure.code, "item": case.item.code, "provider": case.provider.pk, **subject}


def _api_single(case: InquiryCase):
    response = _api_client(case).post("/api/v1/inquiries/", _api_payload(case), format="json")
    assert response.status_code == 201, response.content.decode()[:500]


def _api_batch(case: InquiryCase):
    response = _api_client(case).post("/api/v1/inquiries/batch/", {"inquiries": [_api_payload(case)]}, format="json")
    assert response.status_code == 200, response.content.decode()[:500]


ENTRY_POINTS = [
    EntryPoint("service", _service),
    EntryPoint("management_command", _management_command),
    EntryPoint("admin_action", _admin_action, prepare=_admin_prepare),
    EntryPoint("console_page", _console_page),
    EntryPoint("api_single", _api_single),
    EntryPoint("api_batch", _api_batch),
]


@pytest.fixture
def case(alice, victim, city_ko, procedures, items, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return InquiryCase(
        actor=alice, member=victim, provider=city_ko, procedure=procedures["kenpo_benefit"],
        item=items["local_tax"], client=client,
    )


def _sent_through(entry: EntryPoint, case: InquiryCase) -> ExchangeRecord:
    before = set(ExchangeRecord.objects.values_list("pk", flat=True))
    entry.send(case)
    [record] = ExchangeRecord.objects.exclude(pk__in=before)
    assert record.subject_id == case.subject.pk and record.inquirer_id == case.actor.institution_id
    return record


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.name)
def test_inquiry_about_flagged_member_ends_with_nondisclosure_code(entry, case):
    entry.prepare(case)
    set_setting(actor=case.actor, member=case.member, kind=SettingKind.NON_DISCLOSURE, reason="ケース①")
    record = _sent_through(entry, case)
    assert (record.inquiry_code, record.inquiry_code_source) == (True, "auto")
    assert record.handle_with_care


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.name)
def test_control_inquiry_about_unflagged_member_ends_without_code(entry, case):
    entry.prepare(case)
    record = _sent_through(entry, case)
    assert (record.inquiry_code, record.inquiry_code_source) == (False, "")
    assert not record.handle_with_care


def _open_case_linking(case: InquiryCase, person):
    protection = open_protection_case(
        actor=case.actor, member=case.member, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_inquiry_about_abuser=True,
    )
    link_person(actor=case.actor, case=protection, person=person, reason="加害者（要注意照会対象）")
    return protection


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.name)
def test_inquiry_about_linked_abuser_ends_with_linked_code_though_none_was_asked(entry, case, abuser):
    """要注意照会対象: from the link on, every inquiry about him carries 不開示コード, whatever entry point sent it."""
    case.person = abuser
    entry.prepare(case)  # the admin's original inquiry about him is made before the link, without a code
    protection = _open_case_linking(case, abuser)
    record = _sent_through(entry, case)
    assert (record.inquiry_code, record.inquiry_code_source, record.inquiry_code_case) == (True, "linked", protection)
    assert record.handle_with_care


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.name)
def test_control_inquiry_about_unlinked_abuser_ends_without_code(entry, case, abuser):
    case.person = abuser
    entry.prepare(case)
    _open_case_linking(case, f.PersonFactory())  # a case linking someone else does not reach him
    record = _sent_through(entry, case)
    assert (record.inquiry_code, record.inquiry_code_source) == (False, "")
