"""The settings lock of one person at one institution (flags.selectors re-exports it as lock_person_settings).

It lives here, below flags, because a 加入 (members.services.enrol_member) must take it before its own audit entry:
every act takes a person's lock before its insurer's audit chain lock, as an inquiry does, so no two acts wait on
each other in a circle (an offer of 引継ぎ holds her lock at the new insurer while it writes that insurer's trail).
"""

from django.db import connection


def lock_person_settings(*, institution_id: int, person_id: int) -> None:
    """Serialise, until commit, setting changes and exchange decisions about one person at one institution.

    Without it an inquiry could read the flags just before a concurrent set_setting commits and complete without
    不開示コード while the flag is already set. A PostgreSQL advisory lock held to the end of the transaction; the
    (rare) deadlock between two institutions asking each other about the same person aborts one side, which the
    exchange services turn into a fail-closed refusal. SQLite serialises writers by itself.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [institution_id & 0x7FFFFFFF, person_id & 0x7FFFFFFF]
        )
