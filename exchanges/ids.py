"""Ids of 情報提供等記録 that carry their inquiry time (UUID version 7, RFC 9562: the first 48 bits are the Unix time
in milliseconds, the rest random).

The records are partitioned by JST month (exchanges/partitions.py). An id alone names no month, so a lookup by id
is planned and executed against every month's partition; an id made from the record's own inquired_at names its
month, and `ExchangeRecordQuerySet.by_id` adds that month to the lookup so only one partition is opened. New ids
also arrive in time order, so each partition's primary key grows at its end instead of at random places.

Ids made before (version 4) still work: they get no month bound. A version-7 id not made here (a forged or foreign
one) can at worst miss its record (404): the bound narrows a lookup, it never widens what a user may see.
"""

from __future__ import annotations

import datetime
import os
import uuid

from exchanges import partitions

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62


def record_id(inquired_at: datetime.datetime, random_bits: int | None = None) -> uuid.UUID:
    """A new version-7 id whose time is `inquired_at` (to the millisecond, rounded down). `random_bits` (80 bits)
    only for deterministic test data; otherwise from the operating system."""
    millis = int(inquired_at.timestamp() * 1000) & ((1 << 48) - 1)
    if random_bits is None:
        random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (random_bits & ((1 << 80) - 1))
    value = (value & ~(0xF << 76)) | _VERSION_7
    value = (value & ~(0x3 << 62)) | _VARIANT_RFC
    return uuid.UUID(int=value)


def carries_time(value: uuid.UUID | None) -> bool:
    return isinstance(value, uuid.UUID) and value.variant == uuid.RFC_4122 and value.version == 7


def time_of(value: uuid.UUID) -> datetime.datetime:
    return datetime.datetime.fromtimestamp((value.int >> 80) / 1000, tz=datetime.UTC)


def lookup(pk) -> dict:
    """Filter arguments for the record with this id: the id, and its month when the id carries one."""
    return {"pk": pk, **month_filter(pk)}


def month_filter(pk) -> dict:
    """The lookup arguments naming the JST month of a version-7 id's time, or none (any other id or text)."""
    try:
        value = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except (ValueError, TypeError, AttributeError):
        return {}
    if not carries_time(value):
        return {}
    try:
        start = partitions.month_start(time_of(value))
        end = partitions.add_months(start, 1)
    except (ValueError, OverflowError):
        # A time past what a date can hold (48 bits of milliseconds reach the year 10889): no record was made with
        # it; no month bound, and the lookup finds nothing (404), never a 500.
        return {}
    return {"inquired_at__gte": start, "inquired_at__lt": end}
