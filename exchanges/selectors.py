"""Reads of exchange records. What a person may see goes through flags.policy.shown_in_history."""

from exchanges.models import ExchangeRecord, ExchangeState
from flags import policy
from members.models import Person


def portal_history(*, person: Person) -> list[ExchangeRecord]:
    """やりとり履歴 of a person: the records rule 3 allows, newest first.

    The database does the narrowing (indexed by subject and time); the policy decides, row by row, so the SQL
    filter can never show more than the rule allows.
    """
    rows = (
        ExchangeRecord.objects.filter(
            subject=person,
            state=ExchangeState.PROVIDED,
            inquiry_code=False,
            provision_code=False,
            appended_nondisclosure_at__isnull=True,
        )
        .select_related("procedure", "item")
        .order_by("-inquired_at", "-id")
    )
    return [
        r
        for r in rows
        if policy.shown_in_history(
            complete=r.state == ExchangeState.PROVIDED,
            inquiry_code=r.inquiry_code,
            provision_code=r.provision_code,
            appended=r.appended_nondisclosure_at is not None,
        )
    ]


def is_shown_in_portal(record: ExchangeRecord) -> bool:
    return policy.shown_in_history(
        complete=record.state == ExchangeState.PROVIDED,
        inquiry_code=record.inquiry_code,
        provision_code=record.provision_code,
        appended=record.appended_nondisclosure_at is not None,
    )
