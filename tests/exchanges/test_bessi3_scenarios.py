"""別紙3 各フラグの設定例, played at the service level. Each scenario has its control without the setting.

Display (renewal ②): our insurer shows as 「社会保険診療報酬支払基金」 with 情報照会者部署名 「Ａ健康保険組合 業務部」;
a municipality under its own name and department.
"""

import pytest

from audit.models import AuditEntry
from exchanges.models import ExchangeState
from exchanges.selectors import manual_queue_for, portal_history
from exchanges.services import approve_manual_response, receive_inquiry
from flags.policy import SettingKind
from institutions.models import FUND_DISPLAY_NAME
from tests import factories as f
from tests.exchanges.conftest import department
from tests.exchanges.expect import assert_record

A_GYOMU = "Ａ健康保険組合 業務部"
PROVIDED, MANUAL = ExchangeState.PROVIDED, ExchangeState.MANUAL


def _otsu_asks_about(victim, city_otsu, procedures, items, item="medical_eligibility"):
    """乙市 福祉課 (避難先) asks insurer A about the victim for a 給付等 procedure."""
    return receive_inquiry(
        inquirer=city_otsu, department=department(city_otsu, "福祉課"), provider=victim.insurer,
        subject=victim.person, procedure=procedures["welfare"], item=items[item],
    )


# ①-1 不開示該当フラグの設定例（情報提供時）


def test_1_1_flag_at_provision_hides_our_answer_from_whoever_holds_her_card(
    victim, city_data, city_otsu, flag, procedures, items
):
    flag(victim)
    record = _otsu_asks_about(victim, city_otsu, procedures, items)
    assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="auto", care=True, shown=False,
        inquirer="乙市", department="福祉課", provider=FUND_DISPLAY_NAME,
    )
    assert record.provided_content["保険者名称"] == "Ａ健康保険組合"  # answered automatically (別紙1 ① ○)
    assert record.provision_code_by is None
    assert portal_history(person=victim.person) == []  # ⑤ 情報なし: the abuser with her card learns nothing


def test_1_1_control_without_flag_the_record_shows_our_provision(victim, city_data, city_otsu, procedures, items):
    record = _otsu_asks_about(victim, city_otsu, procedures, items)
    assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer="乙市", department="福祉課", provider=FUND_DISPLAY_NAME,
    )
    assert portal_history(person=victim.person) == [record]  # ④ 乙市 asked, the fund provided: her refuge shows


# ①-2 不開示該当フラグの設定例（情報照会時）


def test_1_2_flag_at_inquiry_codes_our_inquiry_to_her_former_city_automatically(
    victim, city_data, city_ko, flag, ask, alice
):
    flag(victim)
    record = ask(city_ko, member=victim, item="local_tax")  # clerk did not ask for a code
    record = assert_record(
        record, state=PROVIDED, inquiry_code="auto", provision_code="", care=True, shown=False,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="甲市",
    )
    assert record.inquiry_code_by is None and record.inquired_by == alice
    assert record.provided_content == {"課税年度": "2025", "所得": "2100000"}
    assert portal_history(person=victim.person) == []


def test_1_2_control_without_flag_her_history_names_our_insurer(victim, city_data, city_ko, ask):
    record = ask(city_ko, member=victim, item="local_tax")
    assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="甲市",
    )
    [shown] = portal_history(person=victim.person)
    assert shown.inquirer_department_display == "Ａ健康保険組合 業務部"  # ③ what leaks without the flag


# ③ 自動応答不可フラグの設定例 (副本 of the 資格喪失 registered late)


@pytest.fixture
def leaver(insurer_a):
    """A member who left on 7/1 whose 副本 still shows no 資格喪失日 (the registration is late)."""
    member = f.MemberFactory(insurer=insurer_a, branch_number="A0000099")
    f.ReplicaFactory(member=member)
    return member


def test_3_no_auto_response_waits_then_clerk_corrects_the_loss_date_and_sends(
    leaver, city_ko, flag, procedures, items, alice
):
    flag(leaver, SettingKind.NO_AUTO_RESPONSE, items["medical_eligibility"])
    record = receive_inquiry(
        inquirer=city_ko, department=department(city_ko, "税務課"), provider=leaver.insurer, subject=leaver.person,
        procedure=procedures["local_tax_levy"], item=items["medical_eligibility"],
    )
    record = assert_record(
        record, state=MANUAL, inquiry_code="", provision_code="", care=False, shown=False,
        inquirer="甲市", department="税務課", provider=FUND_DISPLAY_NAME,
    )
    assert record.provided_at is None and record.provided_content is None  # △ not answered automatically
    assert list(manual_queue_for(alice)) == [record]

    corrected = {**record_replica_content(leaver), "資格喪失日": "2026-07-01"}
    approve_manual_response(actor=alice, record=record, content=corrected)
    record = assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer="甲市", department="税務課", provider=FUND_DISPLAY_NAME,
    )
    assert record.provided_content["資格喪失日"] == "2026-07-01" and record.content_corrected
    assert record.responded_by == alice and record.provided_at is not None
    assert list(manual_queue_for(alice)) == []
    entry = AuditEntry.objects.get(action="manual_response.approved", target_id=str(record.pk))
    assert entry.before["content"]["資格喪失日"] is None and entry.after["content"]["資格喪失日"] == "2026-07-01"
    assert entry.actor == alice and entry.institution == leaver.insurer


def test_3_manual_response_with_code_is_hidden_like_flag_1(leaver, city_ko, flag, procedures, items, alice):
    flag(leaver, SettingKind.NO_AUTO_RESPONSE)
    record = receive_inquiry(
        inquirer=city_ko, department=None, provider=leaver.insurer, subject=leaver.person,
        procedure=procedures["local_tax_levy"], item=items["medical_eligibility"],
    )
    approve_manual_response(actor=alice, record=record, nondisclosure_code=True)
    record = assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="manual", care=True, shown=False,
        inquirer="甲市", department="", provider=FUND_DISPLAY_NAME,
    )
    assert record.provision_code_by == alice and not record.content_corrected


def test_3_control_without_flag_the_stale_replica_is_answered_at_once(leaver, city_ko, procedures, items):
    record = receive_inquiry(
        inquirer=city_ko, department=department(city_ko, "税務課"), provider=leaver.insurer, subject=leaver.person,
        procedure=procedures["local_tax_levy"], item=items["medical_eligibility"],
    )
    record = assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer="甲市", department="税務課", provider=FUND_DISPLAY_NAME,
    )
    assert record.provided_content["資格喪失日"] is None  # 誤解を招く: still looks insured by A
    assert record.responded_by is None


def record_replica_content(member) -> dict:
    return member.replicas.order_by("-registered_at", "-id").first().content


# ④ 不開示コードの設定例 (inquiry about the abuser, who is not our member)


def test_4_code_set_by_hand_on_inquiry_about_abuser_keeps_our_insurer_out_of_his_history(
    victim, abuser, city_data, city_ko, flag, ask, alice
):
    flag(victim)  # her flag does nothing for inquiries about him (case ②)
    record = ask(city_ko, sim_id=abuser.sim_id, item="local_tax", code=True)
    record = assert_record(
        record, state=PROVIDED, inquiry_code="manual", provision_code="", care=True, shown=False,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="甲市",
    )
    assert record.inquiry_code_by == alice and record.subject == abuser
    assert portal_history(person=abuser) == []  # ⑤ 情報なし


def test_4_control_without_code_his_history_names_her_new_insurer(victim, abuser, city_data, city_ko, flag, ask):
    flag(victim)
    record = ask(city_ko, sim_id=abuser.sim_id, item="local_tax")
    assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="甲市",
    )
    [seen_by_abuser] = portal_history(person=abuser)
    assert seen_by_abuser.inquirer_department_display == "Ａ健康保険組合 業務部"  # ④ the danger of case ②
