"""Issue 10 points 2, 4, 5, 6, 7 in the console: registration by 別紙2 §2 alone with a link to an open case; the
clearing request refused before the dated card procedures (override for supervisors only); review date and the
dashboard; closing a case; and the confirmation step before every irreversible act (nothing written before it)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.models import AppendRequest, ExchangeState
from flags.models import ClearingRequest, ProtectionCase, Setting
from flags.policy import SettingKind
from flags.services import update_case_checklist
from tests import factories as f
from tests.access_helpers import give_reason

CASE = {"victim_confirmed": "on", "fled_confirmed": "on", "requested_by_person": "on", "wants_non_disclosure": "on",
        "reason": "本人の申出"}


def test_victim_registered_by_a_i_u_alone_after_the_confirmation_step(victim, alice, as_user):
    client = as_user(alice)
    url = reverse("console:case_new", args=[victim.pk])
    asked = client.post(url, CASE)
    assert asked.status_code == 200
    body = asked.content.decode()
    assert "確認: 設定対象者の登録" in body and "佐藤 花子さん（枝番 A0000001）を設定対象者として登録し" in body
    assert 'name="confirmed" value="1"' in body and 'name="reason" value="本人の申出"' in body
    assert not ProtectionCase.objects.exists() and not Setting.objects.exists()
    back = client.post(url, {**CASE, "confirmed": "back"})
    assert back.status_code == 200 and "設定対象者の登録</h1>" in back.content.decode()
    assert not ProtectionCase.objects.exists()
    done = client.post(url, {**CASE, "confirmed": "1"})
    case = ProtectionCase.objects.get(member=victim)
    assert done.status_code == 302 and not case.case_card_or_proxy and not case.case_inquiry_about_abuser


def test_second_registration_for_a_member_links_to_the_open_case(scene, alice, as_user):
    client = as_user(alice)
    url = reverse("console:case_new", args=[scene.victim.pk])
    link = f'href="{reverse("console:case_detail", args=[scene.case.pk])}"'
    assert link in client.get(url).content.decode()
    refused = client.post(url, {**CASE, "confirmed": "1"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "すでに対応中の設定対象者" in body and link in body
    assert ProtectionCase.objects.filter(member=scene.victim).count() == 1


def test_setting_a_flag_on_the_member_page_asks_first_and_writes_nothing(insurer_a, alice, as_user, items):
    client = as_user(alice)
    member = f.MemberFactory(insurer=insurer_a, name="鈴木 一郎")
    url = reverse("console:member_detail", args=[member.pk])
    data = {"kind": "non_disclosure", "reason": "本人の申出"}
    body = client.post(url, data).content.decode()
    assert "確認: 不開示該当フラグの設定" in body and "やりとり履歴に表示されません。" in body
    assert not Setting.objects.exists()
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert Setting.objects.get(member=member).kind == SettingKind.NON_DISCLOSURE


def test_filing_an_append_request_asks_first(scene, alice, as_user):
    url = reverse("console:exchange_detail", args=[scene.manual_record.pk])
    client = as_user(alice)
    body = client.post(url, {"reason": "後から判明"}).content.decode()
    assert "確認: 追記依頼" in body and "やりとり履歴に表示されなくなります" in body and "取り下げられません" in body
    assert not AppendRequest.objects.filter(record=scene.manual_record).exists()


def test_declining_a_manual_response_asks_first(scene, alice, as_user):
    url = reverse("console:manual_response", args=[scene.manual_record.pk])
    body = as_user(alice).post(url, {"action": "decline", "reason": "本人確認中"}).content.decode()
    assert "確認: 提供しない" in body and "情報を提供しません" in body
    scene.manual_record.refresh_from_db()
    assert scene.manual_record.state == ExchangeState.MANUAL


def test_clearing_request_before_the_card_procedures_is_refused_and_only_a_supervisor_may_override(
        scene, alice, sam, as_user):
    update_case_checklist(actor=alice, case=scene.case, card_suspension_confirmed_on=None)
    nsi = Setting.objects.get(member=scene.victim, kind=SettingKind.NO_SELF_INFO)
    url = reverse("console:setting_request_clearing", args=[nsi.pk])
    page = as_user(alice).get(url).content.decode()
    assert "未記録: カード停止の完了確認日" in page and 'name="override_reason"' not in page
    refused = as_user(alice).post(url, {"reason": "本人の希望", "override_reason": "急ぎ"})
    assert refused.status_code == 400 and "責任者のみが理由を記入して" in refused.content.decode()
    assert 'name="override_reason"' in as_user(sam).get(url).content.decode()
    assert as_user(sam).post(url, {"reason": "本人の希望", "override_reason": "市からカード廃止の連絡"}).status_code == 302
    request = ClearingRequest.objects.get(setting=nsi)
    assert request.override_reason == "市からカード廃止の連絡"


def test_clearing_approval_page_shows_the_dated_checklist_and_the_override(scene, alice, sam, sue, as_user):
    body = as_user(sam).get(reverse("console:clearing_detail", args=[scene.clearing_request.pk])).content.decode()
    assert "カード停止等手続（ケース①）" in body and "令和8年4月10日" in body
    update_case_checklist(actor=alice, case=scene.case, proxy_cancel_confirmed_on=None)
    nsi = Setting.objects.get(member=scene.victim, kind=SettingKind.NO_SELF_INFO)
    as_user(sam).post(reverse("console:setting_request_clearing", args=[nsi.pk]),
                      {"reason": "本人の希望", "override_reason": "代理人は本人が解除済みと電話で確認"})
    request = ClearingRequest.objects.get(setting=nsi)
    body = as_user(sue).get(reverse("console:clearing_detail", args=[request.pk])).content.decode()
    assert "代理人は本人が解除済みと電話で確認" in body and "未記録: 代理人設定の解除の確認日" in body


def test_review_date_is_set_on_the_case_page_and_due_cases_show_on_the_dashboard(scene, alice, sam, as_user):
    ProtectionCase.objects.filter(pk=scene.case.pk).update(review_on=timezone.localdate())
    body = as_user(sam).get(reverse("console:dashboard")).content.decode()
    assert "見直し期日を迎えた設定対象者" in body
    assert f'href="{reverse("console:case_detail", args=[scene.case.pk])}"' in body
    new_day = timezone.localdate() + datetime.timedelta(days=60)
    response = as_user(alice).post(reverse("console:case_review_date", args=[scene.case.pk]),
                                   {"review_on": new_day.isoformat(), "reason": "2か月後に確認"})
    assert response.status_code == 302
    scene.case.refresh_from_db()
    assert scene.case.review_on == new_day
    assert AuditEntry.objects.filter(action="case.review_date_set", actor=alice).exists()
    body = as_user(sam).get(reverse("console:dashboard")).content.decode()
    assert f'href="{reverse("console:case_detail", args=[scene.case.pk])}"' not in body


def test_closing_request_is_refused_while_the_case_flags_are_in_force(scene, alice, as_user):
    response = as_user(alice).post(reverse("console:case_close_request", args=[scene.case.pk]), {"reason": "終了"})
    assert response.status_code == 400 and "まだ有効です" in response.content.decode()
    assert not scene.case.closures.exists()


def test_approving_a_closure_asks_first_then_the_case_page_shows_it_closed(scene, sam, as_user):
    url = reverse("console:closure_detail", args=[scene.closure.pk])
    body = as_user(sam).post(url, {"decision": "approve", "note": ""}).content.decode()
    assert "確認: 設定対象者の終了の承認" in body and "不開示該当フラグ（全体）を解除します" in body
    case = scene.closure.case
    case.refresh_from_db()
    assert case.is_open
    assert as_user(sam).post(url, {"decision": "approve", "note": "", "confirmed": "1"}).status_code == 302
    case.refresh_from_db()
    assert not case.is_open
    give_reason(as_user(sam), case.member)  # sam is not 担当 of the case (issue 17)
    body = as_user(sam).get(reverse("console:case_detail", args=[case.pk])).content.decode()
    assert 'id="case-closed"' in body and "記録と設定の履歴は残ります" in body
