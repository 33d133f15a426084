"""設定対象者の登録（一括, issue 19 points 1 and 4): one form with every error in one round, a confirmation that
names everything (each linked person, the settings, the records the sweep will list) with nothing written, then one
transaction through the services; the lookup the form's script calls; the case page with the sweep and preview."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.models import AppendRequest, AppendRequestStatus
from exchanges.services import InquiryRequest, send_inquiry
from flags.models import CaseLinkedPerson, ProtectionCase, Setting
from flags.policy import SettingKind
from tests import factories as f

TODAY = timezone.localdate()
OK = {
    "victim_confirmed": "on", "fled_confirmed": "on", "requested_by_person": "on",
    "case_card_or_proxy": "on", "case_inquiry_about_abuser": "on", "wants_non_disclosure": "on",
    "card_suspension_advised_on": f"{TODAY:%Y-%m-%d}", "proxy_cancel_advised_on": f"{TODAY:%Y/%m/%d}",
    "file_appends": "on", "reason": "本人の申出（ケース①・②）",
}


def _url(member) -> str:
    return reverse("console:intake", args=[member.pk])


def _post(client, member, **changes):
    data = {k: v for k, v in {**OK, **changes}.items() if v is not None}
    return client.post(_url(member), data)


def _errors(response) -> dict:
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


@pytest.fixture
def about_him(alice, abuser, city_ko, items, procedures):
    """Before she came: an inquiry about her husband without 不開示コード, naming 「Ａ健康保険組合 業務部」 to him."""
    return send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=abuser.sim_id))


def test_form_explains_the_conditions_and_offers_every_part(victim, alice, as_user):
    body = as_user(alice).get(_url(victim)).content.decode()
    assert "アとイの両方を確認でき、かつウの申出がある方" in body  # 別紙2 §2, on the form
    for part in ("ケース①", "ケース②", 'id="id_linked"', "カード停止を案内した日", "自己情報提供不可フラグ（全体）",
                 "追記依頼を行う", 'src="/static/console/intake.js"'):
        assert part in body, part
    assert "<script>" not in body  # CSP: no inline script


def test_only_a_ticked_is_explained_on_the_form_with_every_other_error_in_the_same_round(
    victim, alice, as_user, insurer_b
):
    """Issue 19 point 4: ア alone, an unknown 枝番, an unknown 個人識別子, a date that is not one, a confirmation
    before its advice and no reason: all reported at once, and no confirmation page."""
    f.MemberFactory(insurer=insurer_b, branch_number="B7777777")  # another insurer's 枝番 is not found either
    response = _post(
        as_user(alice), victim, fled_confirmed=None, requested_by_person=None, case_card_or_proxy=None,
        linked="A9999999 sim-nobo-dyxx B7777777", request_date="12/05/2026", card_suspension_advised_on=None,
        card_suspension_confirmed_on=f"{TODAY:%Y-%m-%d}", reason="",
    )
    assert response.status_code == 400
    errors = _errors(response)
    assert set(errors) == {"fled_confirmed", "requested_by_person", "linked", "request_date",
                           "card_suspension_confirmed_on", "reason"}
    assert "イ（加害者の下から避難していること）の確認が必要です。" in errors["fled_confirmed"]
    assert any("設定を要することが明らかな場合に限ります" in e for e in errors["requested_by_person"])
    assert any("A9999999、SIM-NOBO-DYXX、B7777777" in e for e in errors["linked"])
    assert errors["card_suspension_confirmed_on"] == ["完了を確認する前に、案内した日も記録してください。"]
    body = response.content.decode()
    assert "入力内容を確認してください（6項目）" in body and "確認: 設定対象者の登録" not in body
    assert not ProtectionCase.objects.exists()


def test_no_protection_chosen_and_a_future_date_and_her_own_branch_number_in_one_round(victim, alice, as_user):
    tomorrow = TODAY + datetime.timedelta(days=1)
    response = _post(as_user(alice), victim, case_card_or_proxy=None, wants_non_disclosure=None,
                     linked=victim.branch_number, card_suspension_advised_on=f"{tomorrow:%Y-%m-%d}")
    errors = _errors(response)
    assert errors["wants_non_disclosure"] == ["不開示該当フラグまたは自己情報提供不可フラグの少なくとも一方を設定してください。"]
    [future] = errors["card_suspension_advised_on"]  # the console's one date field refuses a day not yet come
    assert "まだ来ていない日です" in future
    assert errors["linked"] == ["設定対象者本人を要注意照会対象者（加害者など）にすることはできません。"]


def test_confirmation_names_everything_and_writes_nothing(victim, abuser, alice, as_user, about_him):
    sister_in_law = f.MemberFactory(insurer=victim.insurer, branch_number="A0000042", name="佐藤 良子")
    client = as_user(alice)
    audit_before, appends_before = AuditEntry.objects.count(), AppendRequest.objects.count()
    response = _post(client, victim, linked=f"{abuser.sim_id.lower()}、a0000042")
    assert response.status_code == 200
    body = response.content.decode()
    assert "確認: 設定対象者の登録" in body
    linked = response.context["linked"]
    assert [x.person for x in linked] == [abuser, sister_in_law.person]
    assert "佐藤 太郎" in body and abuser.sim_id in body and "佐藤 良子" in body and "枝番 A0000042" in body
    assert "不開示該当フラグを設定します。" in body and "自己情報提供不可フラグを設定します。" in body
    outcome = response.context["outcome"]
    assert [line.record for line in outcome.lines] == [about_him]  # the exposure found, before it happens
    assert outcome.to_file == [str(about_him.pk)] and "追記依頼を行います" in body
    assert "Ａ健康保険組合 業務部" in body
    assert f'name="exposure" value="{about_him.pk}"' in body
    # The dry run left no trace: no case, link, setting, 追記依頼 or audit entry.
    assert not ProtectionCase.objects.exists() and not CaseLinkedPerson.objects.exists()
    assert not Setting.objects.filter(member=victim).exists()
    assert AppendRequest.objects.count() == appends_before and AuditEntry.objects.count() == audit_before


def test_confirmed_registration_does_everything_in_one_step(victim, abuser, alice, as_user, about_him):
    client = as_user(alice)
    confirmation = _post(client, victim, linked=abuser.sim_id)
    replay = {name: value for name, value in confirmation.context["replay"]}
    response = client.post(_url(victim), {**replay, "exposure": [str(about_him.pk)], "confirmed": "1"})
    case = ProtectionCase.objects.get(member=victim)
    assert response.status_code == 302 and response["Location"] == reverse("console:case_detail", args=[case.pk])
    assert [link.person for link in case.linked_persons.all()] == [abuser]
    assert case.card_suspension_advised_on == TODAY == case.proxy_cancel_advised_on
    kinds = set(Setting.objects.active().filter(member=victim, item__isnull=True).values_list("kind", flat=True))
    assert kinds == {SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO}
    [append] = AppendRequest.objects.filter(record_id=about_him.pk)
    assert append.status == AppendRequestStatus.PENDING and append.reason == OK["reason"]
    actions = list(AuditEntry.objects.filter(request_id=AuditEntry.objects.latest("id").request_id)
                   .values_list("action", flat=True))
    for action in ("case.opened", "case.person_linked", "case.checklist_updated", "case.exposure_sweep_filed"):
        assert action in actions, action


def test_a_record_not_on_the_confirmation_gets_no_append_request(victim, abuser, alice, as_user, about_him,
                                                                 city_ko, items, procedures):
    client = as_user(alice)
    replay = dict(_post(client, victim, linked=abuser.sim_id).context["replay"])
    later = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=abuser.sim_id))
    client.post(_url(victim), {**replay, "exposure": [str(about_him.pk)], "confirmed": "1"})
    assert AppendRequest.objects.filter(record_id=about_him.pk).exists()
    assert not AppendRequest.objects.filter(record_id=later.pk).exists()  # shown on the case page, not filed blind


def test_a_failing_step_leaves_nothing_half_written(victim, abuser, alice, as_user, about_him, monkeypatch):
    client = as_user(alice)
    replay = dict(_post(client, victim, linked=abuser.sim_id).context["replay"])

    def refused(**kwargs):
        raise ValidationError("情報提供NWSに接続できません。")

    monkeypatch.setattr("console.intake.file_sweep_append_requests", refused)
    response = client.post(_url(victim), {**replay, "exposure": [str(about_him.pk)], "confirmed": "1"})
    assert response.status_code == 400 and "情報提供NWSに接続できません。" in response.content.decode()
    assert not ProtectionCase.objects.exists() and not Setting.objects.filter(member=victim).exists()
    assert not CaseLinkedPerson.objects.exists() and not AppendRequest.objects.exists()


def test_back_returns_to_the_form_with_the_values(victim, abuser, alice, as_user):
    client = as_user(alice)
    replay = dict(_post(client, victim, linked=abuser.sim_id).context["replay"])
    response = client.post(_url(victim), {**replay, "confirmed": "back"})
    assert response.status_code == 200 and response.context["form"]["linked"].value() == abuser.sim_id
    assert not ProtectionCase.objects.exists()


def test_an_open_case_is_pointed_at_not_duplicated(scene, alice, as_user):
    client = as_user(alice)
    body = client.get(_url(scene.victim)).content.decode()
    assert 'id="open-case"' in body and 'id="intake-form"' not in body
    response = _post(client, scene.victim, case_card_or_proxy=None)
    assert response.status_code == 400 and 'id="open-case"' in response.content.decode()
    assert ProtectionCase.objects.filter(member=scene.victim).count() == 1


def test_lookup_names_each_identifier_within_the_insurer(victim, abuser, alice, as_user, insurer_b):
    f.MemberFactory(insurer=insurer_b, branch_number="B0000001", name="他保険者 花子")
    url = reverse("console:intake_lookup", args=[victim.pk])
    response = as_user(alice).get(url, {"q": f"{abuser.sim_id.lower()} B0000001 {victim.branch_number}"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    results = json.loads(response.content)["results"]
    assert results == [
        {"typed": abuser.sim_id, "found": True, "name": "佐藤 太郎", "label": abuser.sim_id, "is_her": False},
        {"typed": "B0000001", "found": False, "name": "", "label": "B0000001", "is_her": False},
        {"typed": "A0000001", "found": True, "name": "佐藤 花子", "label": "枝番 A0000001（当保険者の被保険者）",
         "is_her": True},
    ]
    assert "他保険者" not in response.content.decode()


def test_lookup_is_for_the_member_insurer_changers_only(victim, bob, audrey, as_user):
    url = reverse("console:intake_lookup", args=[victim.pk])
    assert as_user(bob).get(url, {"q": "A0000001"}).status_code == 404
    assert as_user(audrey).get(url, {"q": "A0000001"}).status_code == 403


def test_case_page_shows_the_sweep_and_the_preview_inline(victim, abuser, alice, as_user, about_him):
    client = as_user(alice)
    replay = dict(_post(client, victim, linked=abuser.sim_id).context["replay"])
    response = client.post(_url(victim), {**replay, "exposure": [str(about_him.pk)], "confirmed": "1"}, follow=True)
    body = response.content.decode()
    assert "設定対象者を登録しました。" in body and "追記依頼 1件" in body
    sweep = body.split('id="exposure-inline"')[1].split("</section>")[0]
    assert "処理中：まだ表示されています" in sweep and "佐藤 太郎さん（要注意照会対象者）本人のマイナポータル" in sweep
    preview = body.split('id="preview-inline"')[1].split("</section>")[0]
    assert "加害者から見える内容" in preview and "Ａ健康保険組合 業務部" in preview and "表示される" in preview
    case = ProtectionCase.objects.get(member=victim)
    assert AuditEntry.objects.filter(action="portal.preview", target_id=str(case.pk)).count() == 1
