"""Database router: portal and auditor reads may go to a PostgreSQL read replica (docs/scaling.md).

Reads are sent to the `replica` alias only inside `replica_reads()` and only when NAKAMA_READ_REPLICA is on (it is
when DATABASE_REPLICA_URL is set). Everything else — every write, every read outside the block, the card and
session checks that must see a suspension at once, the settings read by the inquiry choke point — stays on the
primary. The replica must apply commits synchronously (`synchronous_commit = remote_apply` with it in
`synchronous_standby_names`): a 追記依頼 processed or a 自己情報提供不可 just set must never show late in the portal
because a replica lagged.
"""

import contextlib
import contextvars

from django.conf import settings

DEFAULT = "default"
REPLICA = "replica"

_replica_reads = contextvars.ContextVar("nakama_replica_reads", default=False)


@contextlib.contextmanager
def replica_reads(enabled: bool = True):
    """Reads inside the block go to the replica (when one is configured); writes never do."""
    token = _replica_reads.set(enabled)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_in_use() -> bool:
    return bool(getattr(settings, "NAKAMA_READ_REPLICA", False)) and REPLICA in settings.DATABASES


class ReplicaRouter:
    """Primary for writes and by default; the replica for reads inside replica_reads()."""

    def db_for_read(self, model, **hints):
        if _replica_reads.get() and replica_in_use():
            return REPLICA
        return DEFAULT

    def db_for_write(self, model, **hints):
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a physical copy of the primary: an object read there may relate to one read here.
        return obj1._state.db in (DEFAULT, REPLICA) and obj2._state.db in (DEFAULT, REPLICA)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT  # the replica follows the primary's WAL; it is never migrated itself
