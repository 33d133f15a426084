"""Reads of settings. The exchange and portal paths ask these, then hand the result to flags.policy."""

from flags.models import Setting
from flags.policy import ActiveSetting


def active_settings(*, institution_id: int, person_id: int) -> list[ActiveSetting]:
    """The settings an institution has in force on a person (its member, or a municipality's resident)."""
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
