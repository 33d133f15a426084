"""The one helper every service calls to write the audit trail, inside the caller's transaction."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.chain import entry_hash, hashed_in_database, last_hash
from audit.chain_sql import chain_of
from audit.middleware import current_request_id
from audit.models import AuditEntry


def entry(
    *,
    actor,
    action: str,
    institution=None,
    target=None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> AuditEntry:
    """An audit entry, not yet written: hand it to append() (with others of the same act) or use record()."""
    actor_obj = actor if getattr(actor, "pk", None) else None
    if institution is None and actor_obj is not None:
        institution = getattr(actor_obj, "institution", None)
    return AuditEntry(
        at=timezone.now(),
        actor=actor_obj,
        actor_name=(str(actor) if actor is not None else "")[:150],
        institution=institution,
        request_id=current_request_id(),
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
        message=message,
    )


def append(*entries: AuditEntry) -> list[AuditEntry]:
    """Write entries in order, chained (audit/chain.py), in one INSERT.

    PostgreSQL: the INSERT's trigger takes each entry's chain lock (one chain per institution, one for the server),
    draws the ids and links the entries (audit/chain_sql.py); the links come back with the ids (RETURNING). The
    entries go in chain order, so two acts that touch the same two insurers take their locks in the same order
    (no deadlock). SQLite: one chain, linked here, SQLite serialising writers by itself.

    Call it inside the service's transaction, as late as possible (its last statement before commit): a chain's
    lock is held until the caller commits, so every audited act of that insurer waits for it. No savepoint of its own:
    an error here aborts the caller's transaction, which is what every caller wants (the act and its record commit
    together or not at all).
    """
    with transaction.atomic(savepoint=False):
        if hashed_in_database():
            AuditEntry.objects.bulk_create(sorted(entries, key=lambda e: chain_of(e.institution_id)))
            return list(entries)
        prev = last_hash()
        for e in entries:
            e.prev_hash = prev
            e.entry_hash = prev = entry_hash(e, prev)
        AuditEntry.objects.bulk_create(entries)
    return list(entries)


def record(
    *,
    actor,
    action: str,
    institution=None,
    target=None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> AuditEntry:
    """Append one audit entry. Call it inside the service's transaction so the act and its record commit together.

    The entry is linked to the one before it (audit/chain.py); the chain lock is held until the caller commits.
    """
    new = entry(actor=actor, action=action, institution=institution, target=target, before=before, after=after,
                message=message)
    return append(new)[0]
