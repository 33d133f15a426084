"""Monthly partitions of 情報提供等記録 on PostgreSQL (issue 12 point 5; made by exchanges/migrations/0008).

Each partition is one JST calendar month, `exchanges_exchangerecord_p2026_11`; a DEFAULT partition takes any row
no month is made for yet, so an inquiry never fails for want of a partition. `ensure_ahead()` (run daily by
`manage.py exchange_partitions`) keeps months made in advance: once a row of a month sits in the default partition,
that month's partition can no longer be made until the row is moved (the database refuses, saying so).

Retention is `detach_before()`: the months wholly before a date leave the table (their rows stay in the detached
tables, for the archive) — only the table's owner can do it, never the runtime role, and a month holding a record
named by a 追記依頼 stays (the composite foreign key refuses).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

TABLE = "exchanges_exchangerecord"
DEFAULT_PARTITION = f"{TABLE}_default"
# Made ahead by the daily job: enough to survive a stopped job for two months, few enough that a query bounded
# below in time (staff history's first window) is planned against few empty partitions (each costs planning).
MONTHS_AHEAD = 3
MONTHS_AHEAD_WARNING = 2  # fewer months made ahead than this: the daily job has stopped


@dataclass(frozen=True)
class Partition:
    name: str
    month: datetime.date | None  # None for the default partition
    approx_rows: int


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [TABLE])
        return cursor.fetchone() is not None


def month_of(moment: datetime.datetime | datetime.date) -> datetime.date:
    """The first day of the JST month a time falls in (the partition it belongs to)."""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment).date()
    return moment.replace(day=1)


def month_start(moment: datetime.datetime) -> datetime.datetime:
    """Midnight JST on the first day of the month `moment` falls in: the lower bound of its partition."""
    return timezone.localtime(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(month: datetime.date | datetime.datetime, count: int):
    """The start of the month `count` months after (or before, if negative) the month starting at `month`."""
    index = month.year * 12 + month.month - 1 + count
    return month.replace(year=index // 12, month=index % 12 + 1)


def ensure(first: datetime.date, last: datetime.date) -> list[str]:
    """Make the partitions of every month from `first` to `last` (both included) that do not exist yet."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nakama_exchange_partitions(%s, %s)", [month_of(first), month_of(last)])
        return [row[0] for row in cursor.fetchall()]


def ensure_ahead(months: int = MONTHS_AHEAD, today: datetime.date | None = None) -> list[str]:
    this_month = month_of(today or _today())
    return ensure(this_month, add_months(this_month, months))


def partitions() -> list[Partition]:
    """Every partition, oldest month first, the default partition last; row counts from the planner's statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [TABLE],
        )
        rows = cursor.fetchall()
    found = [Partition(name, _month_in_name(name), count) for name, count in rows]
    return sorted(found, key=lambda p: (p.month is None, p.month or datetime.date.min))


def rows_in_default() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        return cursor.fetchone()[0]


def months_ahead(today: datetime.date | None = None) -> int:
    """How many whole months after this one already have their partition, without a gap."""
    made = {p.month for p in partitions() if p.month is not None}
    month, ahead = add_months(month_of(today or _today()), 1), 0
    while month in made:
        ahead, month = ahead + 1, add_months(month, 1)
    return ahead


def detach_before(month: datetime.date, *, operator: str) -> list[str]:
    """Detach every month partition wholly before `month` (retention), audited. Owner only."""
    from audit.services import record as audit

    month = month_of(month)
    old = [p.name for p in partitions() if p.month is not None and p.month < month]
    with transaction.atomic():
        for name in old:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {connection.ops.quote_name(name)}")
        if old:
            audit(
                actor=None,
                action="exchange_partitions.detached",
                after={"partitions": old, "before": month.isoformat(), "operator": operator},
                message=f"{month:%Y-%m} より前の月区画を切り離し（{len(old)}区画）",
            )
    return old


def _month_in_name(name: str) -> datetime.date | None:
    suffix = name.removeprefix(f"{TABLE}_p")
    if suffix == name:
        return None
    year, month = suffix.split("_")
    return datetime.date(int(year), int(month), 1)


def _today() -> datetime.date:
    return timezone.localdate()
