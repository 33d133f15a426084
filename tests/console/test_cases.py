"""設定対象者: registration with ア/イ/ウ, case ①/②, the abuser typed in, the settings in one step; case detail
with the カード停止等手続 checklist, the portal preview link and the card status when available."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from flags.models import ProtectionCase, Setting
from flags.policy import SettingKind
from tests import factories as f
from tests.access_helpers import give_reason

CASE_OK = {
    "victim_confirmed": "on", "fled_confirmed": "on", "requested_by_person": "on", "request_date": "2026-04-03",
    "case_card_or_proxy": "on", "case_inquiry_about_abuser": "on", "wants_non_disclosure": "on",
    "reason": "本人の申出（ケース①・②）",
}


def _open(client, member, **changes):
    data = {**CASE_OK, "confirmed": "1", **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("console:case_new", args=[member.pk]), data)


def test_new_case_page_explains_each_setting(victim, alice, as_user):
    body = as_user(alice).get(reverse("console:case_new", args=[victim.pk])).content.decode()
    assert "ア DV・虐待等被害者" in body and "ケース①" in body and "ケース②" in body
    assert "対象の情報は表示されず「回答なし」になります。" in body  # 別紙1 自己情報提供不可, plain Japanese
    assert "自動応答しません。" in body


def test_case_1_sets_non_disclosure_and_no_self_info_on_the_whole_member(victim, abuser, alice, as_user):
    response = _open(as_user(alice), victim, linked_sim_ids=abuser.sim_id.lower())
    case = ProtectionCase.objects.get(member=victim)
    assert response.status_code == 302 and response["Location"] == reverse("console:case_detail", args=[case.pk])
    assert [link.person for link in case.linked_persons.all()] == [abuser]
    assert case.victim_confirmed and case.case_card_or_proxy
    kinds = set(Setting.objects.active().filter(member=victim, item__isnull=True).values_list("kind", flat=True))
    assert kinds == {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}
    assert set(case.settings.values_list("kind", flat=True)) == kinds


def test_case_2_only_with_no_auto_response(victim, alice, as_user):
    _open(as_user(alice), victim, case_card_or_proxy=None, no_auto_response_wanted="on")
    kinds = set(Setting.objects.active().filter(member=victim).values_list("kind", flat=True))
    assert kinds == {SettingKind.NON_DISCLOSURE, SettingKind.NO_AUTO_RESPONSE}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"victim_confirmed": None}, "ア（DV・虐待等被害者であること）の確認が必要です。"),
        ({"fled_confirmed": None}, "イ（加害者の下から避難していること）の確認が必要です。"),
        ({"requested_by_person": None}, "ウ（本人の申出）がない場合は、設定を要することが明らかな場合に限ります。"),
        ({"linked_sim_ids": "SIM-NONE-XXXX"}, "個人識別子に該当する個人が見つかりません: SIM-NONE-XXXX"),
        ({"reason": ""}, "設定理由を入力してください。"),
        ({"request_date": "2026/13/45"}, "「2026/13/45」という日はありません。"),
        ({"case_card_or_proxy": None, "wants_non_disclosure": None}, "少なくとも一方を設定してください。"),
    ],
)
def test_bad_case_input_is_refused_in_japanese_and_nothing_is_written(changes, message, victim, alice, as_user):
    response = _open(as_user(alice), victim, **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProtectionCase.objects.exists()
    assert not Setting.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["case.opened", "setting.set"]).exists()


def test_our_own_member_may_be_linked_with_others_but_not_the_victim_herself(victim, insurer_a, alice, abuser, as_user):
    response = _open(as_user(alice), victim, linked_sim_ids=victim.person.sim_id)
    assert response.status_code == 400
    assert "設定対象者本人を要注意照会対象者（加害者など）にすることはできません。" in response.content.decode()
    assert not ProtectionCase.objects.exists()
    other = f.MemberFactory(insurer=insurer_a)  # in 協会けんぽ both spouses are often members of the same insurer
    response = _open(as_user(alice), victim, linked_sim_ids=f"{other.person.sim_id}、 {abuser.sim_id}")
    assert response.status_code == 302
    case = ProtectionCase.objects.get(member=victim)
    assert [link.person for link in case.linked_persons.all()] == [other.person, abuser]


def test_need_evident_without_request_is_accepted(victim, alice, as_user):
    response = _open(as_user(alice), victim, requested_by_person=None, need_evident="on")
    assert response.status_code == 302
    assert ProtectionCase.objects.get(member=victim).need_evident


def test_case_detail_links_portal_preview_and_shows_cards_and_proxies(scene, alice, as_user):
    from portal_sim.services import issue_card, name_proxy, suspend_card

    victim = scene.case.member.person
    card = issue_card(person=victim, pin="1234", card_number="CARD-TEST-0001")
    url = reverse("console:case_detail", args=[scene.case.pk])
    body = as_user(alice).get(url).content.decode()
    assert f'href="/portal/staff-preview/case/{scene.case.pk}/"' in body
    assert "＊＊＊＊0001" in body and "<strong>利用可</strong>" in body and "CARD-TEST-0001" not in body
    assert "有効な代理人設定はありません" in body
    assert scene.link.person.sim_id in body
    suspend_card(card=card)
    name_proxy(principal=victim, agent=scene.link.person)
    body = as_user(alice).get(url).content.decode()
    assert "<td>停止</td>" in body and "利用可" not in body
    assert "代理人設定が残っています" in body and scene.link.person.name in body


def test_viewing_a_case_is_audited(scene, audrey, as_user):
    client = as_user(audrey)
    give_reason(client, scene.victim, reason="監査のため")  # not 担当: a reason first (issue 17)
    client.get(reverse("console:case_detail", args=[scene.case.pk]))
    entry = AuditEntry.objects.get(action="protected.viewed")
    assert entry.actor == audrey and entry.message == "設定対象者詳細" and entry.after["reason"] == "監査のため"


def _opened_on(case, day: datetime.date) -> None:
    case.opened_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    case.save(update_fields=["opened_at"])


def test_checklist_dates_are_saved_and_audited(scene, alice, as_user):
    _opened_on(scene.case, datetime.date(2026, 4, 1))
    response = as_user(alice).post(reverse("console:case_detail", args=[scene.case.pk]), {
        "card_suspension_advised_on": "2026-04-03", "card_suspension_confirmed_on": "2026-04-20",
        "proxy_cancel_advised_on": "2026-04-03", "notes": "電話で案内",
    })
    assert response.status_code == 302
    scene.case.refresh_from_db()
    assert scene.case.card_suspension_confirmed_on == datetime.date(2026, 4, 20)
    assert scene.case.proxy_cancel_advised_on == datetime.date(2026, 4, 3) and not scene.case.proxy_cancel_confirmed_on
    assert scene.case.notes == "電話で案内"
    assert AuditEntry.objects.filter(action="case.checklist_updated", actor=alice).exists()
    body = as_user(alice).get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    assert "令和8年4月20日" in body and "未記録: 代理人設定の解除の確認日" in body


def test_checklist_confirmed_without_advice_is_refused(scene, alice, as_user):
    _opened_on(scene.case, datetime.date(2026, 4, 1))
    response = as_user(alice).post(reverse("console:case_detail", args=[scene.case.pk]), {
        "proxy_cancel_confirmed_on": "2026-04-20", "proxy_cancel_advised_on": "",
    })
    assert response.status_code == 400
    assert "完了を確認する前に、案内した日も記録してください。" in response.content.decode()


def test_case_list_shows_our_cases(scene, alice, as_user):
    body = as_user(alice).get(reverse("console:case_list")).content.decode()
    assert "佐藤 花子" in body and "ケース①" in body and "2名" in body
    assert scene.link.person.sim_id not in body  # names only on the case page, where the view is audited


# 要注意照会対象者: added at any time, every view audited, removed only by another supervisor.


def test_case_page_lists_linked_persons_and_the_view_is_audited(scene, audrey, as_user):
    client = as_user(audrey)
    give_reason(client, scene.victim)
    body = client.get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    assert "要注意照会対象者（加害者など）" in body and "佐藤 太郎" in body and "佐藤 次郎" in body
    entry = AuditEntry.objects.get(action="case.links_viewed")
    assert entry.actor == audrey and entry.message == "設定対象者詳細"
    assert sorted(entry.after["persons"]) == sorted([scene.link.person.sim_id, scene.link_removal.link.person.sim_id])


def test_staff_add_a_linked_person_later_by_identifier(scene, alice, as_user):
    from tests import factories as f

    uncle = f.PersonFactory(name="田中 三郎")
    url = reverse("console:link_new", args=[scene.case.pk])
    response = as_user(alice).post(url, {"sim_id": uncle.sim_id.lower(), "reason": "加害者の知人。避難先を探している"})
    assert response.status_code == 302
    assert scene.case.linked_persons.filter(person=uncle, removed_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="case.person_linked", actor=alice).exists()
    refused = as_user(alice).post(url, {"sim_id": scene.victim.person.sim_id, "reason": "誤り"})
    assert refused.status_code == 400
    assert "設定対象者本人を要注意照会対象者にすることはできません。" in refused.content.decode()


def test_link_removal_needs_a_supervisor_other_than_the_requester(scene, alice, sam, as_user):
    from flags.models import ClearingRequestState

    other = f.StaffFactory(department=sam.department, role=sam.role)  # a supervisor before the request (four eyes)
    url = reverse("console:link_request_removal", args=[scene.link.pk])
    assert as_user(sam).post(url, {"reason": "誤登録"}).status_code == 302
    removal = scene.link.removal_requests.get(state=ClearingRequestState.PENDING)
    decide = reverse("console:link_removal_detail", args=[removal.pk])
    response = as_user(sam).post(decide, {"decision": "approve"})
    assert response.status_code == 400
    assert "依頼した本人は承認できません" in response.content.decode()
    scene.link.refresh_from_db()
    assert scene.link.is_in_force
    # Another supervisor approves: the link ends, and the history stays.
    assert as_user(other).post(decide, {"decision": "approve"}).status_code == 302
    scene.link.refresh_from_db()
    assert not scene.link.is_in_force
    assert AuditEntry.objects.filter(action="case.person_unlinked", actor=other).exists()


def test_pending_link_removals_are_listed_for_supervisors_without_names(scene, sam, as_user):
    body = as_user(sam).get(reverse("console:clearing_list")).content.decode()
    assert "要注意照会対象者の削除依頼・承認待ち（1件）" in body
    assert reverse("console:link_removal_detail", args=[scene.link_removal.pk]) in body
    assert "佐藤 次郎" not in body and not AuditEntry.objects.filter(action="case.links_viewed").exists()
