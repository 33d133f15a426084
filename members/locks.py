"""The settings lock of one person at one institution (flags.selectors re-exports it as lock_person_settings).

It lives here, below flags, because a 加入 (members.services.enrol_member) must take it before its own audit entry:
every act takes a person's lock before its insurer's audit chain lock, as an inquiry does, so no two acts wait on
each other in a circle (an offer of 引継ぎ holds her lock at the new insurer while it writes that insurer's trail).
Several locks are always taken in one statement, sorted by person and then institution: the one order every path
uses (a single inquiry's two institutions, a batch's lines, a handover's persons), so none waits in a circle.
"""

from collections.abc import Iterable

from django.db import connection


def lock_statement(pairs: Iterable[tuple[int, int]]) -> tuple[str, list[int]]:
    """One statement taking the locks of these (institution_id, person_id) pairs, sorted by person then
    institution; PostgreSQL evaluates a target list left to right, so in that order."""
    ordered = sorted({(person, institution) for institution, person in pairs})
    calls = ", ".join(["pg_advisory_xact_lock(%s, %s)"] * len(ordered))
    return f"SELECT {calls}", [key for person, institution in ordered
                               for key in (institution & 0x7FFFFFFF, person & 0x7FFFFFFF)]


def lock_pairs(pairs: Iterable[tuple[int, int]]) -> None:
    """Take the locks of these (institution_id, person_id) pairs until commit (PostgreSQL; SQLite serialises
    writers by itself)."""
    pairs = [(institution, person) for institution, person in pairs if person]
    if connection.vendor != "postgresql" or not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(*lock_statement(pairs))


def lock_person_settings(*, institution_id: int, person_id: int) -> None:
    """Serialise, until commit, setting changes and exchange decisions about one person at one institution.

    Without it an inquiry could read the flags just before a concurrent set_setting commits and complete without
    不開示コード while the flag is already set. A PostgreSQL advisory lock held to the end of the transaction; the
    (rare) deadlock between two institutions asking each other about the same person aborts one side, which the
    exchange services turn into a fail-closed refusal. SQLite serialises writers by itself.
    """
    lock_pairs([(institution_id, person_id)])
