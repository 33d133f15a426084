"""The operator's admin action 「同じ内容で再照会」: through send_inquiry, as the original inquirer, audited twice."""

import pytest

from audit.models import AuditEntry
from exchanges.models import ExchangeRecord
from exchanges.services import receive_inquiry
from flags import selectors as flag_selectors
from institutions.models import Staff

URL = "/ops-admin/exchanges/exchangerecord/"


@pytest.fixture
def operator(db):
    return Staff.objects.create_superuser(username="ops", password="ops-pw-for-tests")


def _resend(client, user, *records):
    client.force_login(user)
    return client.post(
        URL, {"action": "resend_inquiries", "_selected_action": [str(r.pk) for r in records]}, follow=True
    )


def test_resend_keeps_the_hand_set_code_on_the_abuser_inquiry(abuser, city_data, city_ko, ask, alice, operator, client):
    original = ask(city_ko, sim_id=abuser.sim_id, code=True)
    response = _resend(client, operator, original)
    assert "1 件を再照会しました。" in response.content.decode()
    new = ExchangeRecord.objects.exclude(pk=original.pk).get()
    assert (new.subject, new.inquired_by, new.inquiry_code_source, new.inquiry_code_by) == (
        abuser, alice, "manual", alice,
    )
    entry = AuditEntry.objects.get(action="admin.inquiry_resent")
    assert entry.actor == operator and entry.institution == alice.institution and entry.target_id == str(new.pk)
    assert entry.after["original"] == str(original.pk)
    assert AuditEntry.objects.filter(action="inquiry.sent", target_id=str(new.pk), actor=alice).exists()


def test_resend_of_an_uncoded_inquiry_stays_uncoded_without_flag(abuser, city_data, city_ko, ask, operator, client):
    original = ask(city_ko, sim_id=abuser.sim_id)
    _resend(client, operator, original)
    assert ExchangeRecord.objects.exclude(pk=original.pk).get().inquiry_code is False


def test_received_inquiries_cannot_be_resent(victim, city_otsu, procedures, items, operator, client):
    received = receive_inquiry(
        inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )
    response = _resend(client, operator, received)
    assert "再照会できません" in response.content.decode()
    assert ExchangeRecord.objects.count() == 1 and not AuditEntry.objects.filter(action="admin.inquiry_resent").exists()


def test_inactive_original_inquirer_is_refused(victim, city_data, city_ko, ask, alice, operator, client):
    original = ask(city_ko, member=victim)
    Staff.objects.filter(pk=alice.pk).update(is_active=False)
    response = _resend(client, operator, original)
    assert "元の照会者のアカウントが無効なため" in response.content.decode()
    assert ExchangeRecord.objects.count() == 1


def test_fail_closed_shows_the_japanese_reason_and_writes_nothing(
    victim, city_data, city_ko, ask, operator, client, monkeypatch
):
    original = ask(city_ko, member=victim)
    # Signing in is audited too, and so is each admin page the operator opens.
    not_sign_in = AuditEntry.objects.exclude(action__startswith="auth.").exclude(action="admin.viewed")
    audit_rows = not_sign_in.count()

    def broken(**kwargs):
        from django.db import DatabaseError

        raise DatabaseError("down")

    monkeypatch.setattr(flag_selectors, "both_sides", broken)
    response = _resend(client, operator, original)
    assert "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。" in response.content.decode()
    assert ExchangeRecord.objects.count() == 1 and not_sign_in.count() == audit_rows


def test_non_superuser_has_no_resend_action(victim, city_data, city_ko, ask, client):
    original = ask(city_ko, member=victim)
    staff_user = Staff.objects.create_user(username="helper", password="pw-for-tests-1", is_staff=True)
    client.force_login(staff_user)
    response = client.post(URL, {"action": "resend_inquiries", "_selected_action": [str(original.pk)]})
    assert response.status_code in (302, 403)
    assert ExchangeRecord.objects.count() == 1
