"""別添 ① 情報照会時の不開示コードの自動設定 (1/4–4/4), at the service level, each with its opposite."""

from exchanges.models import ExchangeState
from exchanges.selectors import portal_history
from exchanges.services import receive_inquiry
from flags.policy import SettingKind
from flags.services import set_peer_setting
from institutions.models import FUND_DISPLAY_NAME
from tests.exchanges.conftest import department
from tests.exchanges.expect import assert_record

A_GYOMU = "Ａ健康保険組合 業務部"
PROVIDED = ExchangeState.PROVIDED


def _otsu_inquiry(victim, city_otsu, procedures, items, code=False):
    return receive_inquiry(
        inquirer=city_otsu, department=department(city_otsu, "福祉課"), provider=victim.insurer,
        subject=victim.person, procedure=procedures["welfare"], item=items["medical_eligibility"],
        nondisclosure_code=code,
    )


# 1/4 不開示該当フラグ設定あり（医療保険者等が被害者のフラグを設定した場合）


def test_betten1_1of4_insurer_flag_codes_both_our_inquiry_and_our_provision(
    victim, city_data, city_otsu, flag, ask, procedures, items
):
    flag(victim)
    inquiry = ask(city_otsu, member=victim, item="resident_record")  # 新: 情報照会時 不開示コード（自動）
    provision = _otsu_inquiry(victim, city_otsu, procedures, items)  # 情報提供時 不開示コード（自動）
    assert_record(
        inquiry, state=PROVIDED, inquiry_code="auto", provision_code="", care=True, shown=False,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="乙市",
    )
    assert_record(
        provision, state=PROVIDED, inquiry_code="", provision_code="auto", care=True, shown=False,
        inquirer="乙市", department="福祉課", provider=FUND_DISPLAY_NAME,
    )
    assert portal_history(person=victim.person) == []  # × 不開示, × 不開示


def test_betten1_1of4_item_flag_codes_only_that_item(victim, city_data, city_otsu, flag, ask, items):
    flag(victim, item=items["resident_record"])  # 特定個人情報単位
    coded = ask(city_otsu, member=victim, item="resident_record")
    plain = ask(city_otsu, member=victim, item="local_tax")
    assert (coded.inquiry_code_source, plain.inquiry_code_source) == ("auto", "")
    assert portal_history(person=victim.person) == [plain]


def test_betten1_1of4_auto_code_cannot_be_turned_into_a_manual_one(victim, city_data, city_otsu, flag, ask):
    flag(victim)
    record = ask(city_otsu, member=victim, item="resident_record", code=True)
    assert (record.inquiry_code, record.inquiry_code_source, record.inquiry_code_by) == (True, "auto", None)


# 2/4 不開示該当フラグ設定あり（自治体が被害者のフラグを設定した場合）


def test_betten1_2of4_municipal_flag_codes_its_provision_but_not_its_inquiry(
    victim, city_data, city_otsu, ask, procedures, items
):
    set_peer_setting(institution=city_otsu, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="住民の申出")
    provision_by_city = ask(city_otsu, member=victim, item="resident_record")  # A has set no flag
    assert_record(
        provision_by_city, state=PROVIDED, inquiry_code="", provision_code="auto", care=True, shown=False,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="乙市",
    )
    inquiry_by_city = _otsu_inquiry(victim, city_otsu, procedures, items)
    # 情報照会時の不開示コードは自動で設定されない: the 自治体中間サーバー did not code it, and A had no flag.
    assert_record(
        inquiry_by_city, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer="乙市", department="福祉課", provider=FUND_DISPLAY_NAME,
    )
    by_hand = _otsu_inquiry(victim, city_otsu, procedures, items, code=True)  # the city must set it each time
    assert_record(
        by_hand, state=PROVIDED, inquiry_code="manual", provision_code="", care=True, shown=False,
        inquirer="乙市", department="福祉課", provider=FUND_DISPLAY_NAME,
    )
    assert portal_history(person=victim.person) == [inquiry_by_city]


def test_betten1_2of4_control_without_municipal_flag_its_provision_is_shown(victim, city_data, city_otsu, ask):
    record = ask(city_otsu, member=victim, item="resident_record")
    assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="乙市",
    )


def test_betten1_2of4_a_peer_insurer_on_our_server_codes_its_inquiry(victim, procedures, items):
    """The difference is the server, not the kind of peer: a peer insurer behind the 医療保険者等向け中間サーバー
    codes its own inquiry automatically (renewal ①), unlike the municipality above."""
    from tests import factories as f

    kyokai = f.InsurerFactory(name="全国健康保険協会 東京支部", kind="kyokai_kenpo", is_tenant=False)
    set_peer_setting(institution=kyokai, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="加入者の申出")
    record = receive_inquiry(
        inquirer=kyokai, department=f.DepartmentFactory(institution=kyokai, name="業務グループ"),
        provider=victim.insurer, subject=victim.person, procedure=procedures["eligibility_check"],
        item=items["medical_eligibility"],
    )
    assert_record(
        record, state=PROVIDED, inquiry_code="auto", provision_code="", care=True, shown=False,
        inquirer=FUND_DISPLAY_NAME, department="全国健康保険協会 東京支部 業務グループ", provider=FUND_DISPLAY_NAME,
    )


# 3/4 不開示該当フラグ設定なし（医療保険者等が加害者の情報照会を行う場合）


def test_betten1_3of4_inquiry_about_non_member_abuser_is_not_coded_even_though_victim_is_flagged(
    victim, abuser, city_data, city_ko, flag, ask
):
    flag(victim)
    record = ask(city_ko, sim_id=abuser.sim_id)  # 手動で設定しないと不開示コードは設定されない
    assert_record(
        record, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="甲市",
    )
    assert not victim.insurer.members.filter(person=abuser).exists()  # no flag can be set on him


def test_betten1_3of4_control_code_set_by_hand_each_time(victim, abuser, city_data, city_ko, flag, ask, alice):
    flag(victim)
    first = ask(city_ko, sim_id=abuser.sim_id, code=True)
    second = ask(city_ko, sim_id=abuser.sim_id, code=True)
    for record in (first, second):
        assert_record(
            record, state=PROVIDED, inquiry_code="manual", provision_code="", care=True, shown=False,
            inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="甲市",
        )
        assert record.inquiry_code_by == alice
    assert portal_history(person=abuser) == []


# 4/4 不開示該当フラグ設定なし（通常時の場合）


def test_betten1_4of4_no_flag_both_directions_shown_without_code(
    victim, city_data, city_otsu, ask, procedures, items
):
    inquiry = ask(city_otsu, member=victim, item="resident_record")
    provision = _otsu_inquiry(victim, city_otsu, procedures, items)
    assert_record(
        inquiry, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer=FUND_DISPLAY_NAME, department=A_GYOMU, provider="乙市",
    )
    assert_record(
        provision, state=PROVIDED, inquiry_code="", provision_code="", care=False, shown=True,
        inquirer="乙市", department="福祉課", provider=FUND_DISPLAY_NAME,
    )
    assert set(portal_history(person=victim.person)) == {provision, inquiry}


def test_betten1_4of4_control_a_flag_on_another_member_changes_nothing_here(
    insurer_a, victim, city_data, city_otsu, flag, ask
):
    from tests import factories as f

    flag(f.MemberFactory(insurer=insurer_a))
    record = ask(city_otsu, member=victim, item="resident_record")
    assert (record.inquiry_code, record.provision_code, record.handle_with_care) == (False, False, False)
