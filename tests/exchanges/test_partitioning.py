"""情報提供等記録 partitioned by JST month (issue 12 point 5; exchanges/migrations/0008, exchanges/partitions.py).

Rows land in their month's partition (the boundary is midnight in Tokyo), an unmade month in the default one; the
person and time indexes still serve the portal, the staff history and the manual queue on every partition; the
protections of issue 9 hold on every partition, for partitions made later too; an old month detaches (owner only,
audited), never one holding a record named by a 追記依頼; and the migration moves existing rows and 追記依頼.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditEntry
from exchanges import partitions
from exchanges.models import AppendRequest, ExchangeRecord, ExchangeState, nws_write
from exchanges.selectors import _portal_rows, history_page_for, manual_queue_for
from exchanges.services import file_append_request
from tests.exchanges.test_database_guarantees import acting_as, roles  # noqa: F401 (fixture)

JST = datetime.timezone(datetime.timedelta(hours=9))


@pytest.fixture
def record_at(victim, city_otsu, procedures, items):
    """A record about her at a given time, written past the choke point (test data only)."""

    def _record_at(moment: datetime.datetime, **fields) -> ExchangeRecord:
        values = dict(
            inquirer=city_otsu, provider=victim.insurer, procedure=procedures["welfare"],
            item=items["medical_eligibility"], subject=victim.person, inquirer_display="乙市",
            provider_display="社会保険診療報酬支払基金", state=ExchangeState.PROVIDED, inquired_at=moment,
        )
        values.update(fields)
        with nws_write():
            return ExchangeRecord.objects.create(**values)

    return _record_at


def _partition_of(record: ExchangeRecord) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM exchanges_exchangerecord WHERE id = %s", [record.pk])
        return cursor.fetchone()[0]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def test_the_table_is_partitioned_by_month_with_a_default(requires_postgres):
    assert partitions.is_partitioned()
    made = partitions.partitions()
    assert made[-1].name == partitions.DEFAULT_PARTITION and made[-1].month is None
    this_month = partitions.month_of(datetime.date.today())
    months = [p.month for p in made if p.month]
    assert this_month in months
    assert partitions.months_ahead() >= partitions.MONTHS_AHEAD  # the migration made them ahead


def test_rows_land_in_their_jst_month(requires_postgres, record_at):
    partitions.ensure(datetime.date(2030, 1, 1), datetime.date(2030, 2, 1))
    last_of_january = record_at(datetime.datetime(2030, 1, 31, 23, 59, 59, tzinfo=JST))
    first_of_february = record_at(datetime.datetime(2030, 2, 1, 0, 0, 0, tzinfo=JST))
    # 2030-01-31 15:30 UTC is already 1 February in Tokyo.
    utc_evening = record_at(datetime.datetime(2030, 1, 31, 15, 30, tzinfo=datetime.UTC))
    unmade_month = record_at(datetime.datetime(2019, 5, 1, 12, 0, tzinfo=JST))
    assert _partition_of(last_of_january) == "exchanges_exchangerecord_p2030_01"
    assert _partition_of(first_of_february) == "exchanges_exchangerecord_p2030_02"
    assert _partition_of(utc_evening) == "exchanges_exchangerecord_p2030_02"
    assert _partition_of(unmade_month) == partitions.DEFAULT_PARTITION
    # Read back through the table as ever.
    assert ExchangeRecord.objects.filter(subject=last_of_january.subject).count() == 4


def test_an_inquiry_lands_in_this_months_partition(requires_postgres, ask, city_ko, city_data, victim):
    record = ask(city_ko, member=victim)
    assert _partition_of(record) == "exchanges_exchangerecord_p" + f"{partitions.month_of(record.inquired_at):%Y_%m}"


def test_the_person_and_time_indexes_serve_portal_staff_history_and_queue(requires_postgres, record_at, alice, victim):
    partitions.ensure(datetime.date(2030, 1, 1), datetime.date(2030, 3, 1))
    for month in (1, 2, 3):
        record_at(datetime.datetime(2030, month, 10, tzinfo=JST))
    with transaction.atomic():
        portal = _plan(_portal_rows(victim.person)[:50])
        inquirer_side = _plan(ExchangeRecord.objects.filter(inquirer_id=alice.institution_id)
                              .order_by("-inquired_at", "-id")[:51])
        provider_side = _plan(ExchangeRecord.objects.filter(provider_id=alice.institution_id)
                              .order_by("-inquired_at", "-id")[:51])
        queue = _plan(manual_queue_for(alice)[:50])
    for plan, index in ((portal, "exchange_subject_time_idx_p2030_02"),
                        (inquirer_side, "exchange_inquirer_time_idx_p2030_02"),
                        (provider_side, "exchange_provider_time_idx_p2030_02")):
        assert index in plan, plan
        assert "Seq Scan" not in plan, plan
        assert "Append" in plan, plan  # one ordered scan per partition, merged: no sort of the whole table
    # The queue: by its own index or the provider/time one (on a nearly empty table the planner may take either).
    assert "exchange_queue_idx_p2030_02" in queue or "exchange_provider_time_idx_p2030_02" in queue, queue
    assert "Seq Scan" not in queue, queue
    # Bounded by time, the other months are not even opened (partition pruning).
    with transaction.atomic():
        february = _plan(_portal_rows(victim.person).filter(
            inquired_at__gte=datetime.datetime(2030, 2, 1, tzinfo=JST),
            inquired_at__lt=datetime.datetime(2030, 3, 1, tzinfo=JST)))
    assert "p2030_02" in february and "p2030_01" not in february and "p2030_03" not in february, february
    # And the pages still come out newest first across months.
    page = history_page_for(alice, limit=2)
    assert [r.inquired_at.month for r in page] == [3, 2]


def test_every_partition_carries_the_triggers_always_enabled(requires_postgres):
    partitions.ensure(datetime.date(2031, 6, 1), datetime.date(2031, 6, 1))  # one made after the migration
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, array_agg(t.tgname::text ORDER BY t.tgname), bool_and(t.tgenabled = 'A') "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname LIKE 'nakama_exchange%%' "
            "WHERE i.inhparent = 'exchanges_exchangerecord'::regclass GROUP BY c.relname"
        )
        rows = cursor.fetchall()
    assert "exchanges_exchangerecord_p2031_06" in {name for name, _, _ in rows}
    for name, triggers, always in rows:
        assert triggers == ["nakama_exchange_nondisclosure_sticky", "nakama_exchange_record_no_delete"], name
        assert always, name


def test_a_partition_refuses_what_the_table_refuses(requires_postgres, record_at):
    partitions.ensure(datetime.date(2030, 1, 1), datetime.date(2030, 2, 1))
    record = record_at(datetime.datetime(2030, 1, 10, tzinfo=JST), inquiry_code=True, inquiry_code_source="manual")
    part = _partition_of(record)
    attempts = [
        f"DELETE FROM {part} WHERE id = %s",
        f"UPDATE {part} SET inquiry_code = false WHERE id = %s",
        # Moving the record to another month is a DELETE from its partition: refused too.
        "UPDATE exchanges_exchangerecord SET inquired_at = inquired_at + interval '40 days' WHERE id = %s",
    ]
    for sql in attempts:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [record.pk])
    record.refresh_from_db()
    assert record.inquiry_code and _partition_of(record) == part


def test_the_runtime_role_gets_partitions_made_but_cannot_detach_or_reach_them(requires_postgres, roles):  # noqa: F811
    with acting_as(roles["runtime"]):
        assert partitions.ensure(datetime.date(2032, 1, 1), datetime.date(2032, 1, 1)) == [
            "exchanges_exchangerecord_p2032_01"
        ]
        for sql in (
            "ALTER TABLE exchanges_exchangerecord DETACH PARTITION exchanges_exchangerecord_p2032_01",
            "DROP TABLE exchanges_exchangerecord_p2032_01",
            "DELETE FROM exchanges_exchangerecord_p2032_01",
            "ALTER TABLE exchanges_exchangerecord_p2032_01 DISABLE TRIGGER nakama_exchange_record_no_delete",
            "CREATE TABLE exchanges_exchangerecord_p2040_01 PARTITION OF exchanges_exchangerecord "
            "FOR VALUES FROM ('2040-01-01') TO ('2040-02-01')",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'exchanges_exchangerecord_p2032_01'")
        assert cursor.fetchone() == (roles["owner"],)


def test_an_old_month_detaches_with_its_rows_audited(requires_postgres, roles, record_at):  # noqa: F811
    partitions.ensure(datetime.date(2020, 1, 1), datetime.date(2020, 2, 1))
    old = record_at(datetime.datetime(2020, 1, 15, tzinfo=JST))
    kept = record_at(datetime.datetime(2020, 2, 15, tzinfo=JST))
    with acting_as(roles["owner"]):
        detached = partitions.detach_before(datetime.date(2020, 2, 1), operator="運用 太郎")
    assert "exchanges_exchangerecord_p2020_01" in detached
    assert "exchanges_exchangerecord_p2020_02" not in detached
    assert not ExchangeRecord.objects.filter(pk=old.pk).exists()
    assert ExchangeRecord.objects.filter(pk=kept.pk).exists()
    with connection.cursor() as cursor:  # the rows stay in the detached table, for the archive
        cursor.execute("SELECT count(*) FROM exchanges_exchangerecord_p2020_01 WHERE id = %s", [old.pk])
        assert cursor.fetchone() == (1,)
    entry = AuditEntry.objects.get(action="exchange_partitions.detached")
    assert entry.after["operator"] == "運用 太郎" and "exchanges_exchangerecord_p2020_01" in entry.after["partitions"]


def test_a_month_with_a_record_named_by_an_append_request_stays(requires_postgres, alice, record_at):
    partitions.ensure(datetime.date(2020, 1, 1), datetime.date(2020, 1, 1))
    record = record_at(datetime.datetime(2020, 1, 15, tzinfo=JST))
    request = file_append_request(actor=alice, record=record, reason="後から設定対象者と判明")
    assert AppendRequest.objects.get(pk=request.pk).record_inquired_at == record.inquired_at
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            partitions.detach_before(datetime.date(2020, 2, 1), operator="運用 太郎")
    assert ExchangeRecord.objects.filter(pk=record.pk).exists()
    assert not AuditEntry.objects.filter(action="exchange_partitions.detached").exists()


def test_a_month_cannot_be_made_over_rows_in_the_default(requires_postgres, record_at):
    record_at(datetime.datetime(2018, 3, 3, tzinfo=JST))
    with pytest.raises(DatabaseError, match="default partition"), transaction.atomic():
        partitions.ensure(datetime.date(2018, 3, 1), datetime.date(2018, 3, 1))
    with pytest.raises(DatabaseError, match="first day of a month"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nakama_exchange_partition('2018-03-02')")


def test_the_daily_command_makes_months_ahead_and_reports_the_default(requires_postgres, record_at):
    out = io.StringIO()
    call_command("exchange_partitions", "--ahead", "14", stdout=out, stderr=io.StringIO())
    assert partitions.months_ahead() >= 14
    assert "既定（DEFAULT）" in out.getvalue()
    record_at(datetime.datetime(2017, 7, 7, tzinfo=JST))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("exchange_partitions", "--list", stdout=io.StringIO(), stderr=err)
    assert exited.value.code == 1 and "既定区画に1行" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_records_and_append_requests(flushed_catalogue):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...; .ci/run does)")
    executor = MigrationExecutor(connection)
    before = [("exchanges", "0007_append_request_states")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        insurer = old.get_model("institutions", "Institution").objects.create(
            name="Ｍ健康保険組合", kind="kenpo_kumiai", insurer_number="06139999", is_tenant=True)
        city = old.get_model("institutions", "Institution").objects.create(name="Ｍ市", kind="municipality")
        person = old.get_model("members", "Person").objects.create(sim_id="SIM-MIGRATE", name="移行 花子",
                                                                    kana="イコウ ハナコ", birth_date="1990-01-01")
        procedure = old.get_model("members", "Procedure").objects.first()
        item = procedure.items.first()
        Record = old.get_model("exchanges", "ExchangeRecord")
        common = dict(inquirer_id=city.pk, provider_id=insurer.pk, procedure_id=procedure.pk, item_id=item.pk,
                      subject_id=person.pk, inquirer_display="Ｍ市", provider_display="社会保険診療報酬支払基金",
                      state="provided")
        january = Record.objects.create(inquired_at=datetime.datetime(2024, 1, 20, tzinfo=JST), **common)
        march = Record.objects.create(inquired_at=datetime.datetime(2024, 3, 5, tzinfo=JST), inquiry_code=True,
                                      inquiry_code_source="manual", **common)
        old.get_model("exchanges", "AppendRequest").objects.create(
            record_id=january.pk, institution_id=insurer.pk, reason="移行前の依頼",
            requested_at=datetime.datetime(2024, 2, 1, tzinfo=JST))
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        assert _partition_of(ExchangeRecord(pk=january.pk)) == "exchanges_exchangerecord_p2024_01"
        assert _partition_of(ExchangeRecord(pk=march.pk)) == "exchanges_exchangerecord_p2024_03"
        assert ExchangeRecord.objects.get(pk=march.pk).inquiry_code
        moved = AppendRequest.objects.get(record_id=january.pk)
        assert moved.record_inquired_at == january.inquired_at
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM exchanges_exchangerecord WHERE id = %s", [march.pk])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_staff_history_walks_the_month_windows_newest_first_each_record_once(requires_postgres, record_at, alice):
    """Records now, last month, and 2, 7, 13 and 30 months ago, on both sides: pages of 2 by keyset come out in
    order across the windows (exchanges.selectors.HISTORY_WINDOWS_MONTHS) with nothing lost or repeated."""
    from django.utils import timezone

    now = timezone.now()
    made = []
    for months_back in (0, 1, 2, 7, 13, 30):
        moment = now - datetime.timedelta(days=30.5 * months_back, minutes=5)
        made.append(record_at(moment))  # alice's insurer provides
        made.append(record_at(moment - datetime.timedelta(hours=1), inquirer=alice.institution,
                              provider=made[0].inquirer, inquirer_display="社会保険診療報酬支払基金",
                              provider_display="乙市"))
    expected = [r.pk for r in sorted(made, key=lambda r: (r.inquired_at, r.pk), reverse=True)]
    walked, before = [], None
    while True:
        page = history_page_for(alice, limit=2, before=before)
        if not page:
            break
        walked += [r.pk for r in page]
        before = (page[-1].inquired_at, page[-1].pk)
    assert walked == expected


def test_only_the_runtime_role_may_call_the_owners_partition_functions(requires_postgres, roles):  # noqa: F811
    with connection.cursor() as cursor:
        for function in ("nakama_exchange_partition(date)", "nakama_exchange_partitions(date,date)",
                         "nakama_exchange_partition_index_names(text)"):
            cursor.execute("SELECT has_function_privilege(%s, %s, 'EXECUTE'), "
                           "has_function_privilege('public', %s, 'EXECUTE')", [roles["runtime"], function, function])
            assert cursor.fetchone() == (True, False), function
