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


def _portal_json(card, sim_on, **extra):
    from rest_framework.test import APIClient

    from tests.portal.helpers import own_address

    http = APIClient(REMOTE_ADDR=own_address())
    http.credentials(**sim_on)
    response = http.post("/api/sim/portal/", {"card_number": card.card_number, "pin": "1234", **extra}, format="json")
    assert response.status_code == 200, response.content[:400]
    return response.json()


def test_portal_json_pages_by_keyset_each_record_once(small_pages, sim_on, victim, city_otsu, city_ko, procedures,
                                                     items):
    """The simulated portal's JSON (/api/sim/portal/) pages as the HTML page does: next_cursor, newest first."""
    from tests.portal.helpers import card_for

    _city_asks(city_otsu, victim, procedures, items, n=4)
    _city_asks(city_ko, victim, procedures, items, n=3, nondisclosure_code=False)
    card = card_for(victim.person)
    rows, cursor, pages = [], "", 0
    while True:
        body = _portal_json(card, sim_on, cursor=cursor)
        rows += body["history"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(rows) == 7 == len(portal_history(person=victim.person))
    assert [r["inquirer"] for r in rows] == ["甲市"] * 3 + ["乙市"] * 4
    assert _portal_json(card, sim_on, cursor="forged")["history"] == rows[:3]  # a bad cursor: the newest page


def test_portal_json_costs_the_same_statements_for_three_records_or_thirty(sim_on, victim, city_otsu, procedures,
                                                                          items):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.portal.helpers import card_for

    card = card_for(victim.person)
    _city_asks(city_otsu, victim, procedures, items, n=3)
    with CaptureQueriesContext(connection) as few:
        assert len(_portal_json(card, sim_on)["history"]) == 3
    _city_asks(city_otsu, victim, procedures, items, n=57)
    with CaptureQueriesContext(connection) as many:
        body = _portal_json(card, sim_on)
    assert len(body["history"]) == exchange_selectors.PORTAL_HISTORY_PAGE and body["next_cursor"]
    assert len(many.captured_queries) == len(few.captured_queries)


def test_first_page_is_the_prepared_statement_and_reads_what_the_orm_reads(victim, city_otsu, procedures, items):
    """The first page every visit opens is compiled once and, on PostgreSQL, a prepared statement (planning it on
    the monthly partitions cost more than running it): the same shown records, hidden ones still left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _city_asks(city_otsu, victim, procedures, items, n=4)
    _city_asks(city_otsu, victim, procedures, items, n=2, nondisclosure_code=True)  # hidden
    expected = [r.pk for r in exchange_selectors._portal_rows(victim.person)[:51]]
    for _ in range(2):  # the first call prepares, the next only executes
        with CaptureQueriesContext(connection) as captured:
            page = exchange_selectors.portal_history_page(person=victim.person)
        assert [r.pk for r in page.records] == expected and len(expected) == 4
        assert [r.item.name for r in page.records] == [items["medical_eligibility"].name] * 4
    if connection.vendor == "postgresql":
        reads = [q["sql"] for q in captured.captured_queries if "nakama_portal_first_page" in q["sql"]]
        assert reads and reads[0].startswith("EXECUTE nakama_portal_first_page_51"), captured.captured_queries
