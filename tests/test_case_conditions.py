"""別紙2 §2 and the カード停止等手続 dates as pure rules (flags.policy), the ones the services and the forms ask."""

import datetime
import itertools

import pytest

from flags.policy import SettingKind, case_conditions_unmet, case_protects, checklist_date_problems

TODAY = datetime.date(2026, 12, 5)


@pytest.mark.parametrize("a, i, u, evident", list(itertools.product([False, True], repeat=4)))
def test_section_2_holds_only_with_a_and_i_and_her_request_or_an_evident_need(a, i, u, evident):
    unmet = case_conditions_unmet(victim_confirmed=a, fled_confirmed=i, requested_by_person=u, need_evident=evident)
    assert (unmet == {}) == (a and i and (u or evident))
    assert ("victim_confirmed" in unmet) == (not a) and ("fled_confirmed" in unmet) == (not i)
    assert ("requested_by_person" in unmet) == (not (u or evident))


def test_no_auto_response_alone_protects_nothing_she_may_ask_for():
    assert not case_protects([SettingKind.NO_AUTO_RESPONSE]) and not case_protects([])
    assert case_protects(["non_disclosure"]) and case_protects([SettingKind.NO_SELF_INFO])


@pytest.mark.parametrize("dates, expected", [
    ({}, {}),
    ({"card_suspension_advised_on": TODAY}, {}),
    ({"card_suspension_advised_on": TODAY + datetime.timedelta(days=1)}, {"card_suspension_advised_on": "未来"}),
    ({"card_suspension_confirmed_on": TODAY}, {"card_suspension_confirmed_on": "案内した日も記録"}),
    ({"proxy_cancel_advised_on": TODAY, "proxy_cancel_confirmed_on": TODAY - datetime.timedelta(days=1)},
     {"proxy_cancel_confirmed_on": "案内した日以後"}),
    ({"number_change_advised_on": TODAY - datetime.timedelta(days=3), "number_change_confirmed_on": TODAY}, {}),
])
def test_checklist_dates(dates, expected):
    problems = checklist_date_problems(dates, today=TODAY)
    assert set(problems) == set(expected)
    for name, words in expected.items():
        assert words in problems[name]
