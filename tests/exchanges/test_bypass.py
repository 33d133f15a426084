"""Bypass impossible by design: outside exchanges.services no code can write an exchange record."""

import pytest
from django.db import InternalError, connection, transaction
from django.utils import timezone

from exchanges.models import BypassError, ExchangeRecord

MESSAGE = "情報提供等記録は exchanges.services"


@pytest.fixture
def record(victim, city_data, city_ko, ask):
    return ask(city_ko, member=victim)


def _unsent(record):
    return ExchangeRecord(
        inquirer=record.inquirer, provider=record.provider, procedure=record.procedure, item=record.item,
        subject=record.subject, inquirer_display="x", provider_display="x", inquired_at=timezone.now(),
    )


def test_objects_create_raises(record):
    with pytest.raises(BypassError, match=MESSAGE):
        ExchangeRecord.objects.create(
            inquirer=record.inquirer, provider=record.provider, procedure=record.procedure, item=record.item,
            subject=record.subject, inquirer_display="x", provider_display="x", inquired_at=timezone.now(),
        )
    assert ExchangeRecord.objects.count() == 1


def test_get_or_create_raises(record):
    with pytest.raises(BypassError):
        ExchangeRecord.objects.get_or_create(
            subject=record.subject, inquirer=record.inquirer, provider=record.provider, item=record.item,
            procedure=record.procedure, inquirer_display="new", defaults={"inquired_at": timezone.now()},
        )


def test_save_of_new_record_raises(record):
    with pytest.raises(BypassError):
        _unsent(record).save()


def test_save_of_existing_record_raises_and_changes_nothing(record):
    record.inquiry_code = True
    with pytest.raises(BypassError):
        record.save()
    record.refresh_from_db()
    assert record.inquiry_code is False


def test_bulk_create_raises(record):
    with pytest.raises(BypassError):
        ExchangeRecord.objects.bulk_create([_unsent(record)])
    assert ExchangeRecord.objects.count() == 1


def test_queryset_update_raises(record):
    with pytest.raises(BypassError):
        ExchangeRecord.objects.filter(pk=record.pk).update(inquiry_code=True)
    with pytest.raises(BypassError):
        ExchangeRecord.objects.all().update(appended_nondisclosure_at=timezone.now())
    record.refresh_from_db()
    assert not record.inquiry_code and record.appended_nondisclosure_at is None


def test_base_manager_update_raises(record):
    """Django's internal manager is the guarded one too."""
    with pytest.raises(BypassError):
        ExchangeRecord._base_manager.filter(pk=record.pk).update(inquiry_code=True)


def test_bulk_update_raises(record):
    record.inquiry_code = True
    with pytest.raises(BypassError):
        ExchangeRecord.objects.bulk_update([record], ["inquiry_code"])


def test_instance_delete_raises(record):
    with pytest.raises(BypassError):
        record.delete()
    assert ExchangeRecord.objects.filter(pk=record.pk).exists()


def test_queryset_delete_raises(record):
    with pytest.raises(BypassError):
        ExchangeRecord.objects.all().delete()
    assert ExchangeRecord.objects.count() == 1


def test_raw_sql_delete_is_refused_by_postgres(requires_postgres, record):
    with pytest.raises(InternalError, match="Cannot delete"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM exchanges_exchangerecord WHERE id = %s", [record.pk])
    assert ExchangeRecord.objects.filter(pk=record.pk).exists()


def test_insert_is_guarded_and_writes_what_save_writes(record):
    """ExchangeRecord.insert (the single send's INSERT, compiled once per connection) refuses outside the choke point
    like save(), and inside it writes the row save(force_insert=True) would: every column read back equal."""
    import uuid

    from exchanges.models import nws_write

    def twin():
        new = _unsent(record)
        new.id, new.inquired_at, new.state = uuid.uuid4(), record.inquired_at, record.state
        new.provided_at = record.provided_at
        new.inquirer_department_display, new.provided_content = "業務部", {"税額": 1, "備考": "𠮷"}
        return new

    inserted, saved = twin(), twin()
    with pytest.raises(BypassError, match=MESSAGE):
        inserted.insert()
    assert ExchangeRecord.objects.count() == 1
    with nws_write():
        inserted.insert()
        saved.save(force_insert=True)
    assert not inserted._state.adding and inserted._state.db == "default"
    columns = [f.attname for f in ExchangeRecord._meta.concrete_fields if f.attname != "id"]
    rows = [ExchangeRecord.objects.filter(pk=r.pk).values(*columns).get() for r in (inserted, saved)]
    assert rows[0] == rows[1] and rows[0]["provided_content"] == {"税額": 1, "備考": "𠮷"}
