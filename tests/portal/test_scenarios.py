"""別紙3 played end to end over HTTP: the staff steps through the services, the portal through the test client.

Each scenario has a control without any setting, which shows the records: the tests fail if hiding were
unconditional. 佐藤 花子 (victim) fled 甲市 for 乙市 and joined Ａ健康保険組合; 佐藤 太郎 (abuser) stayed in 甲市, kept
her card (PIN 1111) and is her 代理人 (別紙2 ケース①).
"""

import datetime

import pytest
from django.utils import timezone

from exchanges.nws import process_pending_append_requests
from exchanges.services import (
    InquiryRequest,
    approve_manual_response,
    file_append_request,
    receive_inquiry,
    send_inquiry,
)
from flags.policy import SettingKind
from flags.services import open_protection_case, set_setting
from portal_sim import services
from tests import factories as f
from tests.portal.helpers import (
    HISTORY,
    SELF_INFO,
    act_for,
    card_for,
    history_rows,
    main_of,
    page,
    person_portal,
    signed_in,
)

HER_INSURER = ("Ａ健康保険組合", "業務部", "社会保険診療報酬支払基金")


@pytest.fixture
def her_card(victim):
    return card_for(victim.person, "1111")


@pytest.fixture
def abuser_is_proxy(victim, abuser):
    return services.name_proxy(principal=victim.person, agent=abuser)


def _protect(alice, victim, abuser, *, linked=True):
    """別紙2 ケース①②: 不開示該当 and 自己情報提供不可 on the whole member until カード停止等手続 is done; the abuser
    linked to her case (要注意照会対象) unless told otherwise."""
    return open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, case_inquiry_about_abuser=True, linked_persons=[abuser] if linked else [],
        reason="本人の申出",
    )


def _the_three_viewers(victim, abuser, her_card):
    """She with her card; he with her card; he with his own card acting as her proxy."""
    her = signed_in(her_card, "1111")
    him_with_her_card = signed_in(her_card, "1111")
    him_as_proxy = person_portal(abuser, "2222")
    assert act_for(him_as_proxy, victim.person).status_code == 302
    return her, him_with_her_card, him_as_proxy


def _assert_all_see_the_same(her, him_with_her_card, him_as_proxy):
    for url in (SELF_INFO, HISTORY):
        hers = page(her, url)
        assert page(him_with_her_card, url) == hers  # the same card: the same page, byte for byte
        assert main_of(page(him_as_proxy, url)) == main_of(hers)  # only the header says who is signed in
    return page(her, SELF_INFO), page(her, HISTORY)


def _city_asks_a(city, victim, procedures, items):
    return receive_inquiry(
        inquirer=city, department=city.departments.first(), provider=victim.insurer, subject=victim.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )


# ---- ①-1 不開示該当フラグ（情報提供時） ------------------------------------------------------------------


def test_case_1_1_flag_at_provision_hides_where_she_fled(
    victim, abuser, alice, city_otsu, procedures, items, her_card, abuser_is_proxy
):
    _protect(alice, victim, abuser)
    record = _city_asks_a(city_otsu, victim, procedures, items)  # 乙市 (避難先) asks Ａ about her
    assert record.provision_code  # 不開示コード（自動で設定）

    self_info, history = _assert_all_see_the_same(*_the_three_viewers(victim, abuser, her_card))
    assert history_rows(history) == []
    for leak in ("乙市", "福祉課", *HER_INSURER):
        assert leak not in main_of(history)
    assert "回答なし" in self_info  # case ①: 自己情報提供不可 too
    for leak in ("Ａ健康保険組合", victim.insurer.insurer_number):
        assert leak not in self_info


def test_case_1_1_control_without_flag_everyone_sees_the_record(
    victim, abuser, city_otsu, procedures, items, her_card, abuser_is_proxy
):
    _city_asks_a(city_otsu, victim, procedures, items)
    self_info, history = _assert_all_see_the_same(*_the_three_viewers(victim, abuser, her_card))
    rows = history_rows(history)
    assert [(r["照会機関"], r["情報照会者部署名"], r["提供機関"]) for r in rows] == [
        ("乙市", "福祉課", "社会保険診療報酬支払基金")
    ]
    assert "Ａ健康保険組合" in self_info and "回答なし" not in self_info


def test_case_1_1_records_before_the_flag_disappear_only_by_append_request(
    victim, abuser, alice, city_otsu, procedures, items, her_card
):
    """別紙1 図中 ※: 事後的に不開示設定としたい場合は、情報提供NWSへ記録の追記を依頼する."""
    earlier = _city_asks_a(city_otsu, victim, procedures, items)
    _protect(alice, victim, abuser)
    her = signed_in(her_card, "1111")
    assert [r["照会機関"] for r in history_rows(page(her, HISTORY))] == ["乙市"]
    file_append_request(actor=alice, record=earlier, reason="設定対象者と判明（別紙2 §4）")
    assert "乙市" in page(her, HISTORY)  # 依頼中: NWS has not processed it yet
    process_pending_append_requests()
    assert "乙市" not in page(her, HISTORY)


# ---- ①-2 不開示該当フラグ（情報照会時） ------------------------------------------------------------------


def _a_asks_city_about_her(alice, victim, city, procedures, items):
    return send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city, member=victim))


def test_case_1_2_flag_at_inquiry_hides_her_new_insurer(
    victim, abuser, alice, city_ko, procedures, items, her_card, abuser_is_proxy
):
    _protect(alice, victim, abuser)
    record = _a_asks_city_about_her(alice, victim, city_ko, procedures, items)  # Ａ asks 甲市 (避難元)
    assert record.inquiry_code and record.is_complete  # renewal ①: 不開示コード automatically

    _, history = _assert_all_see_the_same(*_the_three_viewers(victim, abuser, her_card))
    assert history_rows(history) == []
    for leak in ("甲市", "税務課", *HER_INSURER):
        assert leak not in main_of(history)


def test_case_1_2_control_without_flag_names_her_insurer_and_department(
    victim, abuser, alice, city_ko, procedures, items, her_card, abuser_is_proxy
):
    _a_asks_city_about_her(alice, victim, city_ko, procedures, items)
    _, history = _assert_all_see_the_same(*_the_three_viewers(victim, abuser, her_card))
    (row,) = history_rows(history)
    assert row["照会機関"] == "社会保険診療報酬支払基金"
    assert row["情報照会者部署名"] == "Ａ健康保険組合 業務部"  # the danger that 別紙3 ①-2 ※ warns of
    assert row["提供機関"] == "甲市"
    assert row["特定個人情報"] == "地方税関係情報"


# ---- ② 自己情報提供不可フラグ ------------------------------------------------------------------------------


@pytest.fixture
def moved_to_b(insurer_b, items):
    """She left Ａ (避難元) and joined Ｂ県後期高齢者医療広域連合 (避難先), whose name tells the prefecture."""
    person = f.PersonFactory(name="佐藤 花子")
    member_b = f.MemberFactory(insurer=insurer_b, person=person)
    f.ReplicaFactory(member=member_b)
    return member_b


def test_case_2_no_self_info_hides_the_union_from_card_holder_and_proxy(moved_to_b, abuser, bob, city_otsu,
                                                                         procedures, items):
    set_setting(actor=bob, member=moved_to_b, kind=SettingKind.NO_SELF_INFO, reason="別紙3 ②")
    card = card_for(moved_to_b.person, "1111")
    services.name_proxy(principal=moved_to_b.person, agent=abuser)
    _city_asks_a(city_otsu, moved_to_b, procedures, items)  # answered automatically (○); history unaffected

    self_info, history = _assert_all_see_the_same(*_the_three_viewers(moved_to_b, abuser, card))
    assert '<p class="portal-no-answer">回答なし</p>' in self_info
    for leak in ("Ｂ県", "広域連合", moved_to_b.insurer.insurer_number, "保険者名称"):
        assert leak not in self_info
    assert [r["照会機関"] for r in history_rows(history)] == ["乙市"]  # 自己情報提供不可 does not touch やりとり履歴


def test_case_2_control_without_flag_shows_the_union(moved_to_b, abuser):
    card = card_for(moved_to_b.person, "1111")
    services.name_proxy(principal=moved_to_b.person, agent=abuser)
    self_info, _ = _assert_all_see_the_same(*_the_three_viewers(moved_to_b, abuser, card))
    assert "Ｂ県後期高齢者医療広域連合" in self_info and "回答なし" not in self_info


# ---- ③ 自動応答不可フラグ（資格喪失の副本登録が遅延） -------------------------------------------------------


@pytest.fixture
def left_on_july_1(insurer_a, alice, items):
    """An ordinary member of Ａ who lost membership on 7/1; the 資格喪失 副本 has not been registered yet."""
    member = f.MemberFactory(insurer=insurer_a, person=f.PersonFactory(name="鈴木 一郎"),
                             lost_on=datetime.date(2026, 7, 1))
    f.ReplicaFactory(member=member, registered_at=timezone.now() - datetime.timedelta(days=90))
    return member


def test_case_3_no_auto_response_shows_only_after_the_manual_answer(
    left_on_july_1, alice, city_otsu, procedures, items
):
    set_setting(actor=alice, member=left_on_july_1, kind=SettingKind.NO_AUTO_RESPONSE,
                item=items["medical_eligibility"], reason="資格喪失の副本登録が遅延（別紙3 ③）")
    client = person_portal(left_on_july_1.person)
    waiting = _city_asks_a(city_otsu, left_on_july_1, procedures, items)
    assert waiting.state == "manual"  # △: not answered automatically
    assert history_rows(page(client, HISTORY)) == []  # 別紙1 ※1: not complete, not shown

    # 情報提供内容入力画面: staff correct the stale 副本 by hand before sending.
    corrected = {**left_on_july_1.replicas.get().content, "資格喪失日": "2026-07-01"}
    answered = approve_manual_response(actor=alice, record=waiting, content=corrected)
    assert answered.provided_content["資格喪失日"] == "2026-07-01" and answered.content_corrected
    assert [r["照会機関"] for r in history_rows(page(client, HISTORY))] == ["乙市"]

    coded = _city_asks_a(city_otsu, left_on_july_1, procedures, items)
    approve_manual_response(actor=alice, record=coded, content=corrected, nondisclosure_code=True)
    assert len(history_rows(page(client, HISTORY))) == 1  # 手動応答でも不開示の設定で閲覧できなくなる

    assert "Ａ健康保険組合" in page(client, SELF_INFO)  # 自動応答不可 does not touch 自己情報


def test_case_3_control_without_flag_answers_at_once_with_the_stale_replica(
    left_on_july_1, city_otsu, procedures, items
):
    client = person_portal(left_on_july_1.person)
    record = _city_asks_a(city_otsu, left_on_july_1, procedures, items)
    assert record.is_complete and record.provided_content["資格喪失日"] is None  # 誤解を招く可能性
    assert [r["照会機関"] for r in history_rows(page(client, HISTORY))] == ["乙市"]


# ---- ④ 不開示コード（加害者に係る情報照会） ---------------------------------------------------------------


def _a_asks_about_abuser(alice, abuser, city_ko, procedures, items, code: bool):
    return send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=abuser.sim_id,
        nondisclosure_code=code))


def test_case_4_code_on_inquiry_about_abuser_hides_her_insurer_from_his_history(
    victim, abuser, alice, city_ko, procedures, items
):
    _protect(alice, victim, abuser)
    record = _a_asks_about_abuser(alice, abuser, city_ko, procedures, items, code=True)
    assert record.is_complete and record.inquiry_code
    his = page(person_portal(abuser, "2222"), HISTORY)
    assert history_rows(his) == []
    for leak in (*HER_INSURER, "甲市"):
        assert leak not in main_of(his)


def test_case_4_linked_abuser_without_code_his_history_shows_nothing_of_her_insurer(
    victim, abuser, alice, city_ko, procedures, items
):
    """要注意照会対象: nobody ticked the code, the system set it; his own やりとり履歴 names no insurer."""
    _protect(alice, victim, abuser)
    record = _a_asks_about_abuser(alice, abuser, city_ko, procedures, items, code=False)
    assert record.is_complete and record.inquiry_code_source == "linked"
    his = page(person_portal(abuser, "2222"), HISTORY)
    assert history_rows(his) == []
    for leak in (*HER_INSURER, "甲市"):
        assert leak not in main_of(his)


def test_case_4_unlinked_abuser_without_code_his_history_names_her_insurer_and_department(
    victim, abuser, alice, city_ko, procedures, items
):
    """別紙2 ケース②: her 不開示該当 does not code inquiries about him; unlinked and without the code he learns her
    insurer."""
    _protect(alice, victim, abuser, linked=False)
    record = _a_asks_about_abuser(alice, abuser, city_ko, procedures, items, code=False)
    assert not record.inquiry_code
    (row,) = history_rows(page(person_portal(abuser, "2222"), HISTORY))
    assert row["照会機関"] == "社会保険診療報酬支払基金"
    assert row["情報照会者部署名"] == "Ａ健康保険組合 業務部"
    assert row["提供機関"] == "甲市"


def test_case_4_control_without_any_setting_shows_the_record(abuser, alice, city_ko, procedures, items):
    _a_asks_about_abuser(alice, abuser, city_ko, procedures, items, code=False)
    (row,) = history_rows(page(person_portal(abuser, "2222"), HISTORY))
    assert row["情報照会者部署名"] == "Ａ健康保険組合 業務部"
