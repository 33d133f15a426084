"""Record ids carry their inquiry time (UUIDv7, exchanges/ids.py): a lookup by id names the record's month, so
PostgreSQL opens one monthly partition instead of every month's; older (v4) ids still work."""

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from exchanges import ids
from exchanges.models import ExchangeRecord, ExchangeState, nws_write

JST = datetime.timezone(datetime.timedelta(hours=9))


@pytest.mark.parametrize("moment", [
    datetime.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=JST),  # the last microsecond of November in Tokyo
    datetime.datetime(2026, 12, 1, 0, 0, 0, 0, tzinfo=JST),
    datetime.datetime(2026, 12, 1, 0, 0, 0, 999, tzinfo=JST),  # inside the first millisecond
    datetime.datetime(2027, 1, 31, 15, 0, tzinfo=datetime.UTC),  # 1 February in Tokyo
])
def test_an_id_names_the_jst_month_of_its_time(moment):
    made = ids.record_id(moment)
    assert made.version == 7 and made.variant == uuid.RFC_4122 and ids.carries_time(made)
    assert abs(ids.time_of(made) - moment) < datetime.timedelta(milliseconds=1)
    bounds = ids.month_filter(made)
    assert bounds["inquired_at__gte"] <= moment < bounds["inquired_at__lt"]
    local = timezone.localtime(moment)
    assert timezone.localtime(bounds["inquired_at__gte"]) == local.replace(day=1, hour=0, minute=0, second=0,
                                                                           microsecond=0)
    assert ids.month_filter(str(made)) == bounds


def test_ids_of_one_millisecond_differ_and_sort_by_time():
    moment = timezone.now()
    assert len({ids.record_id(moment) for _ in range(1000)}) == 1000
    later = ids.record_id(moment + datetime.timedelta(milliseconds=2))
    assert all(later > ids.record_id(moment) for _ in range(50))


@pytest.mark.parametrize("other", [uuid.uuid4(), "not-a-uuid", None, 42, str(uuid.uuid1())],
                         ids=["uuid4", "not-a-uuid", "none", "int", "uuid1"])
def test_other_ids_get_no_month(other):
    assert ids.month_filter(other) == {}


def test_a_saved_record_gets_an_id_of_its_inquiry_time_and_is_found_by_it(victim, city_otsu, procedures, items):
    with nws_write():
        record = ExchangeRecord.objects.create(
            inquirer=city_otsu, provider=victim.insurer, procedure=procedures["welfare"],
            item=items["medical_eligibility"], subject=victim.person, inquirer_display="乙市",
            provider_display="社会保険診療報酬支払基金", state=ExchangeState.PROVIDED,
            inquired_at=datetime.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=JST))
    assert ids.carries_time(record.id)
    assert ExchangeRecord.objects.by_id(record.id).get() == record
    assert ExchangeRecord.objects.by_id(str(record.id)).get() == record
    # A forged v7 id of another month finds nothing (the bound narrows, it never widens).
    assert not ExchangeRecord.objects.by_id(ids.record_id(record.inquired_at + datetime.timedelta(days=40))).exists()


def test_an_old_random_id_is_still_found(victim, city_otsu, procedures, items):
    old_id = uuid.uuid4()
    with nws_write():
        ExchangeRecord.objects.create(
            id=old_id, inquirer=city_otsu, provider=victim.insurer, procedure=procedures["welfare"],
            item=items["medical_eligibility"], subject=victim.person, inquirer_display="乙市",
            provider_display="社会保険診療報酬支払基金", state=ExchangeState.PROVIDED, inquired_at=timezone.now())
    assert ExchangeRecord.objects.by_id(old_id).count() == 1  # an id given is kept; no month: every partition


def test_a_lookup_by_id_opens_one_partition(requires_postgres, ask, city_ko, city_data, victim):
    from exchanges import partitions

    partitions.ensure(datetime.date(2025, 1, 1), datetime.date(2025, 12, 1))  # a year of history
    record = ask(city_ko, member=victim)
    sql, params = ExchangeRecord.objects.by_id(record.id).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.count(" on exchanges_exchangerecord_") == 1, plan  # one partition: neither others nor the default
    sql, params = ExchangeRecord.objects.filter(pk=record.id).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        unbounded = "\n".join(row[0] for row in cursor.fetchall())
    assert unbounded.count(" on exchanges_exchangerecord_") > 12, unbounded  # without the month: every partition


def _record_reads(captured, record) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if 'FROM "exchanges_exchangerecord"' in q["sql"] and str(record.id).replace("-", "") in
            q["sql"].replace("-", "")]


def test_the_record_page_the_api_detail_and_nws_name_the_month(ask, city_ko, city_data, victim, alice, client):
    from django.core.management import call_command
    from django.test.utils import CaptureQueriesContext

    from exchanges.services import file_append_request
    from tests.api.conftest import client_for

    record = ask(city_ko, member=victim)
    client.force_login(alice)
    api = client_for(alice)
    file_append_request(actor=alice, record=record, reason="確認")
    for read in (lambda: client.get(f"/exchanges/{record.id}/"),
                 lambda: api.get(f"/api/v1/exchanges/{record.id}/"),
                 lambda: call_command("nws_process_append_requests")):
        with CaptureQueriesContext(connection) as captured:
            response = read()
        assert getattr(response, "status_code", 200) == 200
        reads = _record_reads(captured, record)
        assert reads and all('"inquired_at" >= ' in sql or '"inquired_at" = ' in sql for sql in reads), reads
