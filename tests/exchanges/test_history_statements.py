"""Staff やりとり履歴 per page, console and API: a fixed number of SQL statements whatever the page holds, one record
statement per time window whose two sides are each read by their own time index and merged by the database
(UNION ALL), joining nothing (the console) or at most the small tables it shows (the API). The nine-way
select_related it replaces cost 80–130 ms of planning per query at scale (issue 12).

The newest months are read first (exchanges.selectors.HISTORY_WINDOWS_MONTHS, for the monthly partitions): one
record statement when the first window fills the page, one more per window otherwise — never one per record."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.selectors import exchange_history_page
from exchanges.selectors import HISTORY_WINDOWS_MONTHS
from exchanges.services import InquiryRequest, receive_inquiry, send_inquiry
from institutions.models import Institution, InstitutionKind
from members import catalogue_cache as catalogue
from tests.api.conftest import client_for

# The counts are PostgreSQL's: SQLite (the demo) cannot limit a branch of a UNION and reads each side apart.
pytestmark = pytest.mark.usefixtures("requires_postgres")

RECORD_TABLE = '"exchanges_exchangerecord"'
WINDOWS = len(HISTORY_WINDOWS_MONTHS) + 1  # record statements when the page is not filled before the oldest window


def _exchanges(n, *, alice, victim, city_ko, city_otsu, procedures, items):
    for _ in range(n):
        send_inquiry(actor=alice, request=InquiryRequest(
            procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim,
            nondisclosure_code=True))
        receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                        procedure=procedures["welfare"], item=items["medical_eligibility"])


def _record_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if f"FROM {RECORD_TABLE}" in q["sql"]]


def _joins(sql: str) -> int:
    return len(re.findall(r"\bJOIN\b", sql))


@pytest.fixture
def world(alice, victim, city_ko, city_otsu, procedures, items):
    return dict(alice=alice, victim=victim, city_ko=city_ko, city_otsu=city_otsu, procedures=procedures, items=items)


def test_console_history_page_is_a_record_statement_a_window_joining_nothing(world, audrey):
    _exchanges(3, **world)
    catalogue.rows_by_pk(Institution)  # loaded once per process (members/catalogue_cache.py)
    with CaptureQueriesContext(connection) as captured:
        page = exchange_history_page(audrey, limit=50)
        names = {(r.inquirer.name, r.provider.name, r.procedure.name, r.item.name, r.subject.name,
                  getattr(r.inquiry_code_by, "username", None)) for r in page.object_list}
    assert len(page.object_list) == 6
    assert {n[:2] for n in names} == {("Ａ健康保険組合", "甲市"), ("乙市", "Ａ健康保険組合")}
    # The records of both sides (own time index each, merged by the database), window by window (6 records do not
    # fill a page), their persons, the staff: nothing per row, and 事務, 特定個人情報 and institutions from the
    # catalogue.
    assert len(captured.captured_queries) == WINDOWS + 2, [q["sql"] for q in captured.captured_queries]
    record_sql = _record_queries(captured.captured_queries)
    assert len(record_sql) == WINDOWS
    for sql in record_sql:
        assert "UNION ALL" in sql and _joins(sql) == 0, sql
        assert ('"inquirer_id" = ' in sql) and ('"provider_id" = ' in sql)
    assert {n[5] for n in names} == {"alice", None}


def test_a_busy_insurers_first_page_is_one_time_bounded_statement(world, audrey):
    """The first window (this month and the one before) fills the page: one record statement for both sides,
    bounded below in time so the planner opens only those months' partitions, the persons and the staff."""
    _exchanges(3, **world)
    catalogue.rows_by_pk(Institution)
    with CaptureQueriesContext(connection) as captured:
        page = exchange_history_page(audrey, limit=2)
    assert len(page.object_list) == 2
    [record_sql] = _record_queries(captured.captured_queries)
    assert record_sql.count('"inquired_at" >= ') == 2, record_sql  # each side
    assert len(captured.captured_queries) == 3


def test_console_history_page_names_an_institution_the_catalogue_has_not_seen(world, audrey):
    """An institution created by another process since this one loaded its catalogue (bulk_create sends no
    signal, as a save elsewhere would not reach this process): read from the database, one query more."""
    _exchanges(1, **world)
    catalogue.rows_by_pk(Institution)
    [newcomer] = Institution.objects.bulk_create([Institution(name="丙市", kind=InstitutionKind.MUNICIPALITY)])
    receive_inquiry(inquirer=newcomer, department=None, provider=world["victim"].insurer,
                    subject=world["victim"].person, procedure=world["procedures"]["welfare"],
                    item=world["items"]["medical_eligibility"])
    with CaptureQueriesContext(connection) as captured:
        page = exchange_history_page(audrey, limit=50)
    assert "丙市" in {r.inquirer.name for r in page.object_list}
    assert len(captured.captured_queries) == WINDOWS + 3


def test_console_history_page_costs_the_same_statements_for_two_or_twelve_records(world, audrey, client):
    client.force_login(audrey)
    _exchanges(1, **world)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/exchanges/").status_code == 200
    _exchanges(5, **world)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/exchanges/")
    assert len(response.context["page"].object_list) == 12
    assert len(large.captured_queries) == len(small.captured_queries)
    assert all(_joins(sql) <= 3 for sql in _record_queries(large.captured_queries))


def test_api_exchange_list_reads_each_side_by_its_index_in_a_fixed_number_of_statements(world, alice):
    api_alice = client_for(alice)
    _exchanges(1, **world)
    with CaptureQueriesContext(connection) as small:
        assert api_alice.get("/api/v1/exchanges/").status_code == 200
    _exchanges(5, **world)
    with CaptureQueriesContext(connection) as large:
        body = api_alice.get("/api/v1/exchanges/").json()
    assert len(body["results"]) == 12 and body["next"] is None
    assert len(large.captured_queries) == len(small.captured_queries)
    record_sql = [sql for sql in _record_queries(large.captured_queries) if "ORDER BY" in sql]
    assert len(record_sql) == WINDOWS, record_sql  # both sides in one statement a window, never the OR sorted whole
    assert all("UNION ALL" in sql and _joins(sql) <= 2 * 3 for sql in record_sql), record_sql


def test_api_exchange_cursor_walks_both_sides_newest_first_each_record_once(world, alice):
    api_alice = client_for(alice)
    _exchanges(4, **world)
    everything = [r["id"] for r in api_alice.get("/api/v1/exchanges/?page_size=200").json()["results"]]
    walked, url = [], "/api/v1/exchanges/?page_size=3"
    while url:
        body = api_alice.get(url).json()
        walked += [r["id"] for r in body["results"]]
        url = body["next"]
    assert len(everything) == 8 and walked == everything
    bad = api_alice.get("/api/v1/exchanges/?cursor=not-a-cursor").json()
    assert [r["id"] for r in bad["results"]] == everything[:50]
