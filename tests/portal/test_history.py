"""やりとり履歴: rule 3 (complete, no 不開示コード on either side, no 追記依頼), the six columns, and nothing — no
count, page number or id — that tells hidden records exist."""

import pytest

from exchanges.nws import process_pending_append_requests
from exchanges.services import (
    InquiryRequest,
    approve_manual_response,
    decline_manual_response,
    file_append_request,
    receive_inquiry,
    send_inquiry,
)
from flags.policy import SettingKind
from flags.services import set_setting
from tests import factories as f
from tests.portal.helpers import HISTORY, UUID_RE, history_rows, main_of, page, person_portal, without_name

COLUMNS = ["日時", "照会機関", "情報照会者部署名", "提供機関", "事務", "特定個人情報"]


def _city_asks(city, member, procedures, items, **kwargs):
    return receive_inquiry(
        inquirer=city, department=city.departments.first(), provider=member.insurer, subject=member.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"], **kwargs,
    )


def test_columns_and_display_names(victim, city_otsu, procedures, items):
    _city_asks(city_otsu, victim, procedures, items)
    rows = history_rows(page(person_portal(victim.person), HISTORY))
    assert list(rows[0]) == COLUMNS
    assert rows[0]["照会機関"] == "乙市"
    assert rows[0]["情報照会者部署名"] == "福祉課"
    assert rows[0]["提供機関"] == "社会保険診療報酬支払基金"  # renewal ②: not the insurer's own name
    assert rows[0]["事務"] == "生活保護法による保護の決定及び実施に関する事務"
    assert rows[0]["特定個人情報"] == "医療保険資格関係情報"
    assert rows[0]["日時"].startswith("令和") and "年" in rows[0]["日時"]  # the portal writes 和暦


def test_inquirer_department_of_an_insurer_names_it(victim, alice, city_ko, procedures, items):
    send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
    rows = history_rows(page(person_portal(victim.person), HISTORY))
    assert rows == [{**rows[0], "照会機関": "社会保険診療報酬支払基金", "情報照会者部署名": "Ａ健康保険組合 業務部",
                     "提供機関": "甲市"}]


def test_newest_first(victim, city_otsu, city_ko, procedures, items):
    _city_asks(city_otsu, victim, procedures, items)
    _city_asks(city_ko, victim, procedures, items)
    rows = history_rows(page(person_portal(victim.person), HISTORY))
    assert [r["照会機関"] for r in rows] == ["甲市", "乙市"]


def test_no_record_ids_in_the_page(victim, city_otsu, procedures, items):
    record = _city_asks(city_otsu, victim, procedures, items)
    html = page(person_portal(victim.person), HISTORY)
    assert str(record.pk) not in html and record.pk.hex not in html
    assert not UUID_RE.search(html)


def test_unanswered_declined_coded_and_appended_records_are_not_shown(victim, alice, city_otsu, procedures, items):
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="別紙3 ③")
    waiting = _city_asks(city_otsu, victim, procedures, items)  # waits in the manual queue (△)
    declined = _city_asks(city_otsu, victim, procedures, items)
    decline_manual_response(actor=alice, record=declined, reason="提供しない")
    coded = _city_asks(city_otsu, victim, procedures, items)
    approve_manual_response(actor=alice, record=coded, nondisclosure_code=True)
    appended = _city_asks(city_otsu, victim, procedures, items)
    appended = approve_manual_response(actor=alice, record=appended)
    file_append_request(actor=alice, record=appended, reason="事後に設定対象者と判明")
    process_pending_append_requests()  # the simulated NWS
    _city_asks(city_otsu, victim, procedures, items, nondisclosure_code=True)  # inquiry-side code, then queued
    assert waiting.state == "manual"

    html = page(person_portal(victim.person), HISTORY)
    assert history_rows(html) == []
    assert "乙市" not in html and "福祉課" not in html and "社会保険診療報酬支払基金" not in html


def test_all_hidden_reads_like_none_at_all(victim, alice, city_otsu, procedures, items):
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="別紙3 ①-1")
    for _ in range(3):
        _city_asks(city_otsu, victim, procedures, items)
    nobody = f.PersonFactory(name="山田 一郎")
    hidden = page(person_portal(victim.person), HISTORY)
    empty = page(person_portal(nobody), HISTORY)
    assert without_name(hidden, "佐藤 花子") == without_name(empty, "山田 一郎")
    assert "表示できるやりとり履歴はありません。" in hidden


def test_some_hidden_reads_like_only_the_shown_ones(victim, alice, city_otsu, city_ko, procedures, items):
    """No gap, count or empty slot: the page equals the page of someone who only had the shown exchange."""
    _city_asks(city_otsu, victim, procedures, items, nondisclosure_code=True)
    shown = _city_asks(city_ko, victim, procedures, items)
    _city_asks(city_otsu, victim, procedures, items, nondisclosure_code=True)
    main = main_of(page(person_portal(victim.person), HISTORY))
    rows = history_rows(main)
    assert [r["照会機関"] for r in rows] == ["甲市"]
    assert main.count("<tr>") == 2  # heading + one row
    assert "件" not in main and "ページ" not in main
    assert shown.is_complete


@pytest.mark.parametrize("code_side", ["inquiry", "provision"])
def test_either_side_code_hides(victim, alice, city_otsu, procedures, items, code_side):
    if code_side == "inquiry":
        _city_asks(city_otsu, victim, procedures, items, nondisclosure_code=True)
    else:
        set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="別紙1 ①")
        _city_asks(city_otsu, victim, procedures, items)
    assert history_rows(page(person_portal(victim.person), HISTORY)) == []


def test_history_query_count_does_not_depend_on_hidden_records(victim, alice, city_otsu, procedures, items,
                                                                django_assert_num_queries):
    client = person_portal(victim.person)
    client.get(HISTORY)  # a process's first page loads its catalogue (members/catalogue_cache.py), whoever asks
    with django_assert_num_queries(3):  # session, card + holder, records
        client.get(HISTORY)
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="別紙1 ①")
    for _ in range(3):
        _city_asks(city_otsu, victim, procedures, items)
    with django_assert_num_queries(3):
        client.get(HISTORY)
