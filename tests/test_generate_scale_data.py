"""generate_scale_data: a tiny run on PostgreSQL (COPY) writes exactly the asked counts, deterministically."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from demo.scale import HEAVY_RECORDS, LIGHT_RECORDS
from exchanges.models import ExchangeRecord
from exchanges.selectors import portal_history
from flags.models import ProtectionCase, Setting
from institutions.models import Institution
from members.models import Member, Person

TINY = ["--members", "60", "--records", "2000", "--flag-settings", "40", "--cases", "5", "--insurers", "3",
        "--municipalities", "2"]


def _run(*extra) -> str:
    out = io.StringIO()
    call_command("generate_scale_data", *TINY, *extra, stdout=out)
    return out.getvalue()


def _snapshot():
    return (
        list(Member.objects.order_by("id").values_list("branch_number", "name", "kana", "insurer__insurer_number")),
        list(ExchangeRecord.objects.order_by("id").values_list("id", "subject__sim_id", "state", "inquired_at")),
    )


def test_tiny_run_copies_the_asked_counts(requires_postgres):
    output = _run()
    assert Institution.objects.count() == 5
    assert Person.objects.count() == Member.objects.count() == 60
    assert ExchangeRecord.objects.count() == 2000
    assert Setting.objects.count() == 40
    assert ProtectionCase.objects.count() == 5
    assert Member.objects.values("insurer").distinct().count() == 3
    assert "rows/s" in output and "exchanges_exchangerecord: 2,000/2,000 rows loaded" in output
    heavy, light = Person.objects.order_by("id")[:2]
    assert len(portal_history(person=heavy)) == HEAVY_RECORDS
    assert len(portal_history(person=light)) == LIGHT_RECORDS
    # Sequences follow the copied ids: the next row the app writes does not collide.
    assert Person.objects.create(name="後から", sim_id="SIM-AFTE-RRRR").pk > Person.objects.order_by("-id")[1].pk


def test_same_seed_same_rows_and_refuses_a_full_database(requires_postgres):
    with transaction.atomic():
        _run()
        first = _snapshot()
        transaction.set_rollback(True)
    _run()
    assert first == _snapshot()
    with pytest.raises(CommandError, match="空ではありません"):
        _run()
