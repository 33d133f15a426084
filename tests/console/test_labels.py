"""Words on the pages: the setter is a clerk, not the protected person; one word for a card's state; the 別紙1
effects once per page; the admin in Japanese; 「確認・承認」 only for a supervisor who may approve."""

from django.urls import reverse

from flags.models import Setting
from flags.policy import SettingKind
from flags.services import request_clearing
from institutions.models import Staff
from portal_sim.selectors import CARD_STATE_LABELS


def test_setter_of_a_case_flag_reads_as_the_clerk_and_the_path(scene, alice, as_user):
    body = as_user(alice).get(reverse("console:member_detail", args=[scene.victim.pk])).content.decode()
    assert "アリス 担当・設定対象者の登録で設定" in body
    assert "アリス 担当（設定対象者）" not in body


def test_card_states_use_the_one_word_of_the_portal_selector(scene, alice, as_user):
    from portal_sim.services import issue_card

    issue_card(person=scene.case.member.person, pin="1234", card_number="CARD-TEST-0002")
    body = as_user(alice).get(reverse("console:case_detail", args=[scene.case.pk])).content.decode()
    assert CARD_STATE_LABELS["usable"] == "利用可" and "利用可" in body and "利用可能" not in body


def test_new_case_page_shows_the_flag_effects_once(scene, alice, as_user):
    body = as_user(alice).get(reverse("console:case_new", args=[scene.ordinary.pk])).content.decode()
    assert body.count("未応答の間は表示されません") == 1  # the 自動応答不可 effect, in the 別紙1 table only


def test_operator_admin_names_api_tokens_in_japanese(db, client):
    ops = Staff.objects.create_superuser(username="ops", password="ops-pw-12345")
    client.force_login(ops)
    body = client.get("/ops-admin/").content.decode()
    assert "APIトークン" in body and "Knox" not in body and "Auth tokens" not in body


def test_supervisor_sees_no_approve_button_on_their_own_clearing_request(scene, sam, sue, as_user):
    setting = Setting.objects.get(member=scene.victim, kind=SettingKind.NO_SELF_INFO)
    own = request_clearing(actor=sam, setting=setting, reason="カード停止の完了を確認")
    client = as_user(sam)
    listing = client.get(reverse("console:clearing_list")).content.decode()
    assert f'href="{reverse("console:clearing_detail", args=[own.pk])}">内容を見る</a>' in listing
    detail = client.get(reverse("console:clearing_detail", args=[own.pk])).content.decode()
    assert "承認して解除する" not in detail and "ご自身が依頼した解除は承認できません" in detail
    other = as_user(sue).get(reverse("console:clearing_detail", args=[own.pk])).content.decode()
    assert "承認して解除する" in other


def test_supervisor_sees_the_approve_button_on_a_clerks_request(scene, sam, as_user):
    listing = as_user(sam).get(reverse("console:clearing_list")).content.decode()
    url = reverse("console:clearing_detail", args=[scene.clearing_request.pk])
    assert f'href="{url}">確認・承認</a>' in listing
