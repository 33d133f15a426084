"""The one helper every service calls to write the audit trail, inside the caller's transaction."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.chain import entry_hash, last_hash, lock_chain
from audit.middleware import current_request_id
from audit.models import AuditEntry


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
    actor_obj = actor if getattr(actor, "pk", None) else None
    if institution is None and actor_obj is not None:
        institution = getattr(actor_obj, "institution", None)
    entry = AuditEntry(
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
    with transaction.atomic():
        lock_chain()
        entry.prev_hash = last_hash()
        entry.entry_hash = entry_hash(entry, entry.prev_hash)
        entry.save(force_insert=True)
    return entry
