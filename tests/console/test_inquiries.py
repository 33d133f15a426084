"""情報照会 from the console: renewal ① (automatic 不開示コード for a flagged member), 要注意照会対象 (a person linked
to an open case: the code by the system, said plainly on the confirm page), fail closed (InquiryNotSent), bad input
in Japanese."""

import pytest
from django.db import DatabaseError
from django.urls import reverse

from audit.models import AuditEntry
from exchanges.models import ExchangeRecord
from flags import selectors as flag_selectors
from flags.policy import SettingKind
from flags.services import set_setting


def _data(procedures, items, provider, **subject):
    return {
        "subject_type": "member" if "branch_number" in subject else "person",
        "procedure": procedures["kenpo_benefit"].pk, "item": items["local_tax"].pk, "provider": provider.pk,
        **subject,
    }


def _post(client, data, step):
    return client.post(reverse("console:inquiry_new"), {**data, "step": step})


def test_console_inquiry_entry_point_codes_flagged_member(victim, alice, city_otsu, items, procedures, as_user):
    """The choke point seen from the console: an inquiry about our member with 不開示該当 carries 不開示コード."""
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
    client = as_user(alice)
    data = _data(procedures, items, city_otsu, branch_number=victim.branch_number)
    confirm = _post(client, data, "confirm")
    body = confirm.content.decode()
    assert "自動設定されます" in body
    assert 'name="nondisclosure_code"' not in body  # no checkbox: it cannot be left off
    response = _post(client, data, "send")  # even without ticking anything
    record = ExchangeRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:exchange_detail", args=[record.pk])
    assert record.subject == victim.person and record.inquiry_code and record.inquiry_code_source == "auto"
    assert record.inquirer_department_display == "Ａ健康保険組合 業務部"


def test_item_level_flag_codes_only_that_item(victim, alice, city_otsu, items, procedures, as_user):
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, item=items["resident_record"], reason="申出")
    client = as_user(alice)
    tax = _data(procedures, items, city_otsu, branch_number=victim.branch_number)
    assert "自動設定されます" not in _post(client, tax, "confirm").content.decode()
    resident = {**tax, "item": items["resident_record"].pk}
    assert "自動設定されます" in _post(client, resident, "confirm").content.decode()


def test_preselected_flagged_member_shows_automatic_code_on_the_form(scene, alice, as_user):
    response = as_user(alice).get(reverse("console:inquiry_new") + f"?member={scene.victim.pk}")
    body = response.content.decode()
    assert "自動設定されます" in body and 'value="A0000001"' in body


def test_ordinary_subject_gets_a_checkbox(scene, alice, city_otsu, items, procedures, as_user):
    data = _data(procedures, items, city_otsu, branch_number=scene.ordinary.branch_number)
    body = _post(as_user(alice), data, "confirm").content.decode()
    assert 'name="nondisclosure_code"' in body and "自動設定されます" not in body
    assert "加害者" not in body.split("<main>")[1].split("照会対象者")[0]  # no abuser warning


def test_linked_abuser_confirm_page_says_the_code_is_attached_automatically_and_why(
    scene, alice, abuser, city_ko, items, procedures, as_user
):
    data = _data(procedures, items, city_ko, sim_id=abuser.sim_id)
    body = _post(as_user(alice), data, "confirm").content.decode()
    assert "この照会には<strong>不開示コードが自動で付きます</strong>" in body
    assert "<strong>要注意照会対象者</strong>（加害者など、避難先を知られてはならない方）" in body
    assert f"設定対象者 第{scene.case.pk}号（佐藤 花子）" in body  # which case links him
    assert 'name="nondisclosure_code"' not in body  # nothing to tick: it is not a choice
    viewed = AuditEntry.objects.get(action="case.links_viewed")
    assert viewed.actor == alice and viewed.message == "情報照会の確認" and viewed.after == {"persons": [abuser.sim_id]}


def test_linked_abuser_inquiry_sent_without_ticking_the_code_still_carries_it(
    scene, alice, abuser, city_ko, items, procedures, as_user
):
    before = ExchangeRecord.objects.count()
    response = _post(as_user(alice), _data(procedures, items, city_ko, sim_id=abuser.sim_id), "send")
    assert response.status_code == 302
    record = ExchangeRecord.objects.order_by("-inquired_at").first()
    assert ExchangeRecord.objects.count() == before + 1 and record.subject == abuser
    assert (record.inquiry_code, record.inquiry_code_source, record.inquiry_code_case) == (True, "linked", scene.case)
    assert record.inquiry_code_by is None  # the system, not the clerk


def test_unlinked_person_inquiry_with_code_by_hand(scene, alice, city_ko, items, procedures, as_user):
    from tests import factories as f

    stranger = f.PersonFactory()
    data = _data(procedures, items, city_ko, sim_id=stranger.sim_id, nondisclosure_code="on")
    assert _post(as_user(alice), data, "send").status_code == 302
    record = ExchangeRecord.objects.order_by("-inquired_at").first()
    assert record.subject == stranger and record.inquiry_code
    assert record.inquiry_code_source == "manual" and record.inquiry_code_by == alice


def test_flag_check_failure_shows_inquiry_not_sent_and_sends_nothing(
    victim, alice, city_otsu, items, procedures, as_user, monkeypatch
):
    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(flag_selectors, "active_settings", broken)  # the page's display
    monkeypatch.setattr(flag_selectors, "both_sides", broken)  # the service's decision
    data = _data(procedures, items, city_otsu, branch_number=victim.branch_number)
    client = as_user(alice)
    confirm = _post(client, data, "confirm").content.decode()
    assert "不開示該当フラグの確認ができませんでした。" in confirm
    response = _post(client, {**data, "nondisclosure_code": "on"}, "send")
    assert response.status_code == 503
    assert "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。" in response.content.decode()
    assert not ExchangeRecord.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"branch_number": "A9999999"}, "この枝番の被保険者は見つかりません。"),
        ({"branch_number": ""}, "被保険者枝番を入力してください。"),
        ({"subject_type": "person", "sim_id": "SIM-NONE-NONE"}, "入力された個人識別子に該当する個人が見つかりません。"),
        ({"subject_type": "person", "sim_id": ""}, "個人識別子を入力してください。"),
        ({"procedure": ""}, "事務を選んでください。"),
        ({"provider": "0"}, "照会先を選び直してください。"),
        ({"procedure": "eligibility_check"}, "では特定個人情報「地方税関係情報」を照会できません。"),
    ],
)
def test_bad_inquiry_input_is_refused_in_japanese(changes, message, victim, alice, city_otsu, items, procedures,
                                                    as_user):
    data = _data(procedures, items, city_otsu, branch_number=victim.branch_number)
    if changes.get("procedure") == "eligibility_check":
        changes = {"procedure": procedures["eligibility_check"].pk}
    data.update(changes)
    for step in ("confirm", "send"):
        response = _post(as_user(alice), data, step)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not ExchangeRecord.objects.exists()


def test_another_insurers_member_cannot_be_chosen_by_branch_number(victim, bob, city_otsu, items, procedures, as_user):
    data = _data(procedures, items, city_otsu, branch_number=victim.branch_number)
    response = _post(as_user(bob), data, "send")
    assert response.status_code == 400 and "この枝番の被保険者は見つかりません。" in response.content.decode()
    assert not ExchangeRecord.objects.exists()


def test_own_insurer_is_not_offered_as_provider(alice, as_user, insurer_a):
    form = as_user(alice).get(reverse("console:inquiry_new")).context["form"]
    assert insurer_a not in form.fields["provider"].queryset
