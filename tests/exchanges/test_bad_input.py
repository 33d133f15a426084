"""Bad input is refused with a clear Japanese message, and nothing is written."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from exchanges.models import AppendRequest, ExchangeRecord
from exchanges.services import approve_manual_response, decline_manual_response, file_append_request, receive_inquiry
from flags.policy import SettingKind
from tests import factories as f


def _messages(exc: ValidationError) -> list[str]:
    return exc.messages


def test_unknown_person_identifier(insurer_a, city_ko, ask):
    with pytest.raises(ValidationError) as caught:
        ask(city_ko, sim_id="SIM-NONE-XXXX")
    assert _messages(caught.value) == ["入力された個人識別子に該当する個人が見つかりません。"]
    assert ExchangeRecord.objects.count() == 0


def test_no_subject_at_all(insurer_a, city_ko, ask):
    with pytest.raises(ValidationError) as caught:
        ask(city_ko, sim_id="  ")
    assert _messages(caught.value) == ["照会対象者（被保険者または個人識別子）を指定してください。"]


def test_member_of_another_insurer_is_not_found(insurer_b, city_ko, ask):
    other = f.MemberFactory(insurer=insurer_b)
    with pytest.raises(ValidationError) as caught:
        ask(city_ko, member=other)
    assert _messages(caught.value) == ["被保険者が見つかりません。"]


def test_member_and_identifier_together_are_refused(victim, abuser, city_ko, ask):
    with pytest.raises(ValidationError, match="どちらか一方"):
        ask(city_ko, member=victim, sim_id=abuser.sim_id)


def test_item_the_procedure_does_not_allow(victim, city_ko, ask):
    with pytest.raises(ValidationError) as caught:
        ask(city_ko, member=victim, item="medical_eligibility", procedure="koki_premium")
    assert _messages(caught.value) == [
        "事務「高齢者の医療の確保に関する法律による保険料の賦課に関する事務」では特定個人情報「医療保険資格関係情報」を照会できません。"
    ]
    assert ExchangeRecord.objects.count() == 0


def test_item_the_procedure_does_not_allow_from_a_peer(victim, city_ko, procedures, items):
    with pytest.raises(ValidationError, match="照会できません"):
        receive_inquiry(
            inquirer=city_ko, department=None, provider=victim.insurer, subject=victim.person,
            procedure=procedures["koki_premium"], item=items["medical_eligibility"],
        )


def test_inquiry_to_own_insurer(victim, insurer_a, ask):
    with pytest.raises(ValidationError, match="自保険者に対して情報照会はできません"):
        ask(insurer_a, member=victim)


def test_auditor_cannot_send(victim, city_ko, ask, audrey):
    with pytest.raises(PermissionDenied, match="権限がありません"):
        ask(city_ko, member=victim, actor=audrey)


@pytest.fixture
def queued(victim, city_otsu, flag, procedures, items):
    flag(victim, SettingKind.NO_AUTO_RESPONSE)
    return receive_inquiry(
        inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )


def test_approving_an_already_answered_inquiry(queued, alice, sam):
    approve_manual_response(actor=alice, record=queued)
    with pytest.raises(ValidationError) as caught:
        approve_manual_response(actor=sam, record=queued, nondisclosure_code=True)
    assert _messages(caught.value) == ["この照会はすでに処理されています（状態: 提供済）。"]
    queued.refresh_from_db()
    assert queued.responded_by == alice and not queued.provision_code


def test_approving_or_declining_a_declined_inquiry(queued, alice, sam):
    decline_manual_response(actor=alice, record=queued, reason="確認中")
    with pytest.raises(ValidationError, match=r"すでに処理されています（状態: 提供せず）"):
        approve_manual_response(actor=sam, record=queued)
    with pytest.raises(ValidationError, match=r"すでに処理されています（状態: 提供せず）"):
        decline_manual_response(actor=sam, record=queued, reason="再度")


def test_approving_an_automatically_answered_inquiry(victim, city_data, city_ko, ask, alice):
    record = ask(city_ko, member=victim)
    with pytest.raises(ValidationError, match="対象の照会が見つかりません"):  # not ours to answer
        approve_manual_response(actor=alice, record=record)


def test_empty_corrected_content(queued, alice):
    with pytest.raises(ValidationError, match="提供内容を入力してください"):
        approve_manual_response(actor=alice, record=queued, content={})


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_missing_decline_reason(queued, alice, reason):
    with pytest.raises(ValidationError) as caught:
        decline_manual_response(actor=alice, record=queued, reason=reason)
    assert _messages(caught.value) == ["提供しない理由を入力してください。"]


@pytest.mark.parametrize("reason", ["", "  "])
def test_missing_append_reason(victim, city_data, city_ko, ask, alice, reason):
    record = ask(city_ko, member=victim)
    with pytest.raises(ValidationError) as caught:
        file_append_request(actor=alice, record=record, reason=reason)
    assert _messages(caught.value) == ["追記依頼の理由を入力してください。"]
    assert AppendRequest.objects.count() == 0


def test_append_request_on_a_record_the_insurer_took_no_part_in(victim, city_data, city_ko, ask, bob):
    record = ask(city_ko, member=victim)  # insurer A and 甲市; bob is of insurer B
    with pytest.raises(ValidationError) as caught:
        file_append_request(actor=bob, record=record, reason="加害者に知られるおそれ")
    assert _messages(caught.value) == [
        "対象の記録が見つかりません。追記依頼は自保険者が照会または提供した記録にのみ行えます。"
    ]
    record.refresh_from_db()
    assert record.appended_nondisclosure_at is None and AppendRequest.objects.count() == 0
