"""やりとり履歴 pages by keyset: one query per page whatever the person has, older records behind a signed link,
and the page boundaries depend on shown records only (a hidden record never shortens a page or adds a link)."""

import re

import pytest

from exchanges import selectors as exchange_selectors
from exchanges.selectors import portal_history
from exchanges.services import receive_inquiry
from tests.portal.helpers import HISTORY, history_rows, main_of, page, person_portal

MORE = re.compile(r'href="\?before=([^"]+)"')


def _city_asks(city, member, procedures, items, n=1, **kwargs):
    return [
        receive_inquiry(inquirer=city, department=city.departments.first(), provider=member.insurer,
                        subject=member.person, procedure=procedures["welfare"], item=items["medical_eligibility"],
                        **kwargs)
        for _ in range(n)
    ]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(exchange_selectors, "PORTAL_HISTORY_PAGE", 3)


def _walk(client) -> tuple[list[dict], int]:
    rows, url, pages = [], HISTORY, 0
    while url:
        html = page(client, url)
        rows += history_rows(main_of(html))
        pages += 1
        more = MORE.search(html)
        url = f"{HISTORY}?before={more.group(1)}" if more else None
    return rows, pages


def test_older_records_follow_page_by_page_each_once(small_pages, victim, city_otsu, city_ko, procedures, items):
    _city_asks(city_otsu, victim, procedures, items, n=4)
    _city_asks(city_ko, victim, procedures, items, n=4, nondisclosure_code=False)
    client = person_portal(victim.person)
    rows, pages = _walk(client)
    assert pages == 3  # 3 + 3 + 2
    assert len(rows) == 8 == len(portal_history(person=victim.person))
    assert [r["照会機関"] for r in rows] == ["甲市"] * 4 + ["乙市"] * 4  # newest first, across page boundaries


def test_hidden_records_never_shorten_a_page_nor_add_a_link(small_pages, victim, city_otsu, procedures, items):
    _city_asks(city_otsu, victim, procedures, items, n=3)
    _city_asks(city_otsu, victim, procedures, items, n=5, nondisclosure_code=True)  # hidden (別紙1 不開示コード)
    html = page(person_portal(victim.person), HISTORY)
    assert len(history_rows(main_of(html))) == 3
    assert not MORE.search(html)  # exactly a full page of shown records: nothing older to show


def test_page_costs_one_query_for_three_records_or_thirty(victim, city_otsu, procedures, items,
                                                          django_assert_num_queries):
    _city_asks(city_otsu, victim, procedures, items, n=3)
    client = person_portal(victim.person)
    with django_assert_num_queries(3):  # session, card + holder, one page of records
        client.get(HISTORY)
    _city_asks(city_otsu, victim, procedures, items, n=57)
    with django_assert_num_queries(3):
        html = client.get(HISTORY).content.decode()
    assert len(history_rows(main_of(html))) == exchange_selectors.PORTAL_HISTORY_PAGE
    assert MORE.search(html)


def test_a_forged_or_foreign_cursor_starts_from_the_newest(small_pages, victim, city_otsu, procedures, items):
    _city_asks(city_otsu, victim, procedures, items, n=5)
    client = person_portal(victim.person)
    first = history_rows(main_of(page(client, HISTORY)))
    for cursor in ["not-signed", "WyIyMDAwLTAxLTAxIiwiMCJd:forged:sig"]:
        assert history_rows(main_of(page(client, f"{HISTORY}?before={cursor}"))) == first
