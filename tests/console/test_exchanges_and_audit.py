"""やりとり履歴 for staff (hidden records included, codes and who set them, filters), 追記依頼, the audit trail
(filterable), and the audit events: sign-in, failed sign-in, audited reads."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.models import AppendRequest
from exchanges.nws import process_pending_append_requests
from exchanges.selectors import portal_history
from exchanges.services import InquiryRequest, send_inquiry


def _list(client, **params):
    return client.get(reverse("console:exchange_list"), params)


def test_auditor_sees_hidden_records_with_codes_and_who_set_them(scene, audrey, as_user):
    response = _list(as_user(audrey))
    body = response.content.decode()
    records = list(response.context["page"].object_list)
    assert {r.pk for r in records} == {scene.abuser_record.pk, scene.manual_record.pk}
    assert scene.abuser_record not in portal_history(person=scene.abuser_record.subject)
    assert "照会時: 手動設定（アリス 担当）" in body
    assert "追記依頼により不開示" in body
    assert "<strong>非表示</strong>" in body
    assert body.count("取り扱い注意</span>") == 1  # the coded record only


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"code": "inquiry"}, {"abuser_record"}),
        ({"code": "none"}, {"manual_record"}),
        ({"code": "appended"}, {"abuser_record"}),
        ({"state": "manual"}, {"manual_record"}),
        ({"state": "provided"}, {"abuser_record"}),
        ({"person": "A0000002"}, {"manual_record"}),  # 枝番
        ({"person": "sim-test-aaaz"}, set()),
        ({"date_from": "2000-01-01", "date_to": "2000-01-31"}, set()),
    ],
)
def test_history_filters(params, expected, scene, audrey, as_user):
    found = {r.pk for r in _list(as_user(audrey), **params).context["page"].object_list}
    assert found == {getattr(scene, name).pk for name in expected}


def test_history_filter_by_sim_id_and_today(scene, audrey, abuser, as_user):
    today = timezone.localdate().isoformat()
    found = _list(as_user(audrey), person=abuser.sim_id, date_from=today, date_to=today).context["page"].object_list
    assert [r.pk for r in found] == [scene.abuser_record.pk]


def test_history_bad_period_is_refused_in_japanese(scene, audrey, as_user):
    response = _list(as_user(audrey), date_from="2026-05-01", date_to="2026-04-01")
    assert "期間の開始日は終了日以前の日付にしてください。" in response.content.decode()
    assert response.context["page"].object_list == []
    response = _list(as_user(audrey), date_from="昨日")
    assert "「昨日」は日付として読めません。" in response.content.decode()


def test_reading_the_history_is_audited_with_the_filter(scene, audrey, as_user):
    _list(as_user(audrey), code="inquiry")
    entry = AuditEntry.objects.get(action="audit.exchanges_viewed")
    assert entry.actor == audrey and entry.after == {"filters": {"code": "inquiry"}, "rows": 1}


def test_record_detail_shows_display_names_codes_and_badge(scene, alice, as_user):
    body = as_user(alice).get(reverse("console:exchange_detail", args=[scene.abuser_record.pk])).content.decode()
    assert "取り扱い注意</span>" in body
    assert "社会保険診療報酬支払基金" in body and "Ａ健康保険組合 業務部" in body
    assert "やりとり履歴に表示されません" in body


def test_clerk_files_an_append_request_and_the_record_leaves_the_portal_once_nws_processed_it(scene, alice, as_user, items, procedures,
                                                                        city_otsu):
    record_ = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_otsu,
        member=scene.ordinary,
    ))
    assert record_ in portal_history(person=scene.ordinary.person)
    url = reverse("console:exchange_detail", args=[record_.pk])
    client = as_user(alice)
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "追記依頼の理由を入力してください。" in response.content.decode()
    response = client.post(url, {"reason": "後から設定対象者と判明（別紙2 §4）", "confirmed": "1"})
    assert response.status_code == 302
    assert AppendRequest.objects.filter(record=record_, requested_by=alice).exists()
    # 依頼中: still shown, and the console says so honestly.
    assert record_ in portal_history(person=scene.ordinary.person)
    body = client.get(reverse("console:append_list")).content.decode()
    assert "後から設定対象者と判明" in body and "念のため" in body
    assert body.count("処理中：まだ表示されています") == 1
    assert "処理中：まだ表示されています" in client.get(url).content.decode()
    process_pending_append_requests()
    assert record_ not in portal_history(person=scene.ordinary.person)
    assert "処理中：まだ表示されています" not in client.get(reverse("console:append_list")).content.decode()


def test_audit_trail_filters_and_is_itself_audited(scene, audrey, as_user):
    client = as_user(audrey)
    response = client.get(reverse("console:audit_trail"), {"action": "setting.set"})
    entries = [r.entry for r in response.context["rows"]]
    assert entries and all(e.action == "setting.set" for e in entries)
    body = response.content.decode()
    assert "フラグ設定" in body and "設定種別: 不開示該当フラグ" in body
    response = client.get(reverse("console:audit_trail"), {"actor": "アリス"})
    assert {r.actor for r in response.context["rows"]} == {"アリス 担当"}
    viewed = AuditEntry.objects.filter(action="audit.trail_viewed", actor=audrey)
    assert viewed.count() == 2 and viewed.first().after["filters"] == {"actor": "アリス"}


def test_audit_trail_period_filter(scene, audrey, as_user):
    today = timezone.localdate()
    client = as_user(audrey)
    found = client.get(reverse("console:audit_trail"), {"date_from": today.isoformat()}).context["rows"]
    assert len(found) >= 1
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert client.get(reverse("console:audit_trail"), {"date_to": yesterday}).context["rows"] == []


def test_audit_trail_shows_nothing_of_another_insurer(scene, bob_audit, as_user):
    response = as_user(bob_audit).get(reverse("console:audit_trail"))
    assert all(r.entry.institution_id == bob_audit.institution_id for r in response.context["rows"])
    assert "アリス" not in response.content.decode()


def test_sign_in_and_failed_sign_in_are_audited(alice, client):
    client.post(reverse("console:login"), {"username": "alice", "password": "wrong-password"})
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.institution == alice.institution and "alice" in failed.message and failed.actor is None
    client.post(reverse("console:login"), {"username": "nobody", "password": "x"})
    assert AuditEntry.objects.get(action="auth.login_failed", message__contains="nobody").institution is None
    response = client.post(reverse("console:login"), {"username": "alice", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="auth.login").actor == alice
    client.post(reverse("console:logout"))
    assert AuditEntry.objects.filter(action="auth.logout", actor=alice).exists()


def test_failed_sign_in_page_is_japanese(alice, client):
    response = client.post(reverse("console:login"), {"username": "alice", "password": "wrong"})
    assert "ユーザー名またはパスワードが正しくありません。" in response.content.decode()


def test_history_pages_by_keyset_cover_every_record_once_newest_first(scene, alice, audrey, city_ko, city_otsu,
                                                                      victim, procedures, items, as_user):
    """Keyset pages (no total count): both sides of the insurer's records, merged, each exactly once."""
    from console.selectors import exchange_history_page
    from exchanges.services import receive_inquiry

    for _ in range(3):
        send_inquiry(actor=alice, request=InquiryRequest(
            procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
        receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                        procedure=procedures["welfare"], item=items["medical_eligibility"])
    everything = list(exchange_history_page(audrey, limit=1000).object_list)
    assert len(everything) == 8  # the scene's two and six more
    walked, cursor = [], ""
    while True:
        page = exchange_history_page(audrey, cursor=cursor, limit=3)
        walked.extend(page.object_list)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [r.pk for r in walked] == [r.pk for r in everything]
    assert [(r.inquired_at, r.id) for r in walked] == sorted(((r.inquired_at, r.id) for r in walked), reverse=True)
    # A cursor from the URL is followed by the page; a malformed one starts from the newest.
    first = _list(as_user(audrey)).context["page"].object_list
    assert _list(as_user(audrey), before="not-a-cursor").context["page"].object_list == first
    response = _list(as_user(audrey), before=f"{walked[2].inquired_at.isoformat()}|{walked[2].id}")
    assert [r.pk for r in response.context["page"].object_list] == [r.pk for r in walked[3:]]
