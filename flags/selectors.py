"""Reads of settings. The exchange and portal paths ask these, then hand the result to flags.policy."""

from django.db import connection

from flags.models import Setting
from flags.policy import ActiveSetting


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


def active_settings(*, institution_id: int, person_id: int) -> list[ActiveSetting]:
    """The settings an institution has in force on a person (its member, or a municipality's resident).

    Takes the person's settings lock first, so inside a transaction the answer stays true until commit.
    """
    lock_person_settings(institution_id=institution_id, person_id=person_id)
    rows = (
        Setting.objects.active()
        .filter(institution_id=institution_id, person_id=person_id)
        .values_list("kind", "item__code")
    )
    return [ActiveSetting(kind=kind, item_code=item_code) for kind, item_code in rows]


def settings_by_institution(*, person_id: int) -> dict[int, list[ActiveSetting]]:
    """Every institution's settings in force on a person, in one query (used by the portal's 自己情報)."""
    result: dict[int, list[ActiveSetting]] = {}
    rows = Setting.objects.active().filter(person_id=person_id).values_list("institution_id", "kind", "item__code")
    for institution_id, kind, item_code in rows:
        result.setdefault(institution_id, []).append(ActiveSetting(kind=kind, item_code=item_code))
    return result
