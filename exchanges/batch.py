"""一括照会: many inquiries by one insurer at once, decided line by line by the same rules as send_inquiry.

Set-based: the lines are taken in chunks; for each chunk, in one transaction, every settings lock is taken in one
sorted statement, both sides' settings, the links and the 副本 are read in one statement each
(flags.selectors.both_sides_many), each line is decided by exchanges.services.decide_inquiry — the very function
send_inquiry uses — and the records and audit entries are written in one INSERT each.

All or nothing per line: a line is either sent (its record and its audit entries committed) or not sent at all,
with the reason. A line refused by the checks (unknown subject, item not allowed) leaves the others going. A
database error while a chunk is written sends none of that chunk's lines (fail closed, InquiryNotSent for each);
the chunks before it stay sent.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction

from audit.services import append as audit_append
from exchanges.models import ExchangeRecord, nws_write
from exchanges.services import InquiryNotSent, InquiryRequest, check_inquiry, decide_inquiry
from flags import selectors as flag_selectors
from institutions.access import require_changer

CHUNK = 500  # lines per transaction: locks held for one chunk's decisions and writes, not the whole batch


@dataclass(frozen=True)
class BatchLine:
    """One line's outcome: the record sent, or why nothing was sent."""

    index: int
    record: ExchangeRecord | None = None
    error: Exception | None = None

    @property
    def sent(self) -> bool:
        return self.record is not None


def send_inquiries(
    *, actor, requests: Sequence[InquiryRequest | Exception],
    on_chunk: Callable[[list[BatchLine]], None] | None = None,
) -> list[BatchLine]:
    """Send each request (an Exception in place of a request is a line the caller already refused, e.g. an
    unknown 枝番: it is reported as it is). on_chunk, if given, is called with each chunk's lines once committed
    (the API streams them as progress)."""
    require_changer(actor)
    results: list[BatchLine | None] = [None] * len(requests)
    ready = []
    for index, request in enumerate(requests):
        if isinstance(request, Exception):
            results[index] = BatchLine(index, error=request)
            continue
        try:
            ready.append((index, request, check_inquiry(actor=actor, request=request)))
        except (ValidationError, PermissionDenied) as exc:
            results[index] = BatchLine(index, error=exc)
        except DatabaseError:
            results[index] = BatchLine(index, error=InquiryNotSent())
    for start in range(0, len(ready), CHUNK):
        chunk = ready[start:start + CHUNK]
        done = _send_chunk(actor, chunk)
        for line in done:
            results[line.index] = line
        if on_chunk is not None:
            on_chunk(done)
    return results


def _send_chunk(actor, chunk) -> list[BatchLine]:
    try:
        with transaction.atomic(), nws_write():
            all_sides = flag_selectors.both_sides_many(
                inquirer_id=actor.institution_id,
                lines=[(request.provider.pk, subject.pk, request.item.pk) for _, request, subject in chunk],
            )
            records, entries = [], []
            for (_, request, subject), sides in zip(chunk, all_sides, strict=True):
                record, line_entries = decide_inquiry(actor=actor, request=request, subject=subject, sides=sides)
                records.append(record)
                entries.extend(line_entries)
            ExchangeRecord.objects.bulk_create(records)
            audit_append(*entries)  # last statement before commit: the chain lock is held only from here
    except DatabaseError:
        return [BatchLine(index, error=InquiryNotSent()) for index, _, _ in chunk]
    return [BatchLine(index, record=record) for (index, _, _), record in zip(chunk, records, strict=True)]
