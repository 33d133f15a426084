"""Reads of exchange records. What a person may see goes through flags.policy.shown_in_history."""

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from exchanges.models import AppendRequest, ExchangeRecord, ExchangeState
from flags import policy
from flags import selectors as flag_selectors
from flags.models import ProtectionCase
from members.models import Person, Replica


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
    return [r for r in rows if is_shown_in_portal(r)]


def is_shown_in_portal(record: ExchangeRecord) -> bool:
    """Rule 3 for one record, as flags.policy decides it."""
    return policy.shown_in_history(
        complete=record.state == ExchangeState.PROVIDED,
        inquiry_code=record.inquiry_code,
        provision_code=record.provision_code,
        appended=record.appended_nondisclosure_at is not None,
    )


def records_for(user) -> QuerySet[ExchangeRecord]:
    """Every record in which the user's insurer took part, hidden ones included: for lookups and filters.

    Do not order and slice it for a list page: the OR over two columns cannot follow an index, and at 2 million
    records the first page took 4 s (bench/RESULTS.md). Use history_page_for.
    """
    return ExchangeRecord.objects.visible_to(user).select_related("procedure", "item", "subject")


def history_page_for(
    user, *, limit: int = 50, before: tuple[datetime.datetime, uuid.UUID] | None = None
) -> list[ExchangeRecord]:
    """One page of staff history (newest first, hidden records included), keyset-paginated.

    `before` is the (inquired_at, id) of the last record of the previous page. See two_sided_page.
    """
    institution_id = getattr(user, "institution_id", None)
    if not institution_id:
        return []
    base = ExchangeRecord.objects.select_related("procedure", "item", "subject")
    rows, _ = two_sided_page(base, institution_id=institution_id, limit=limit, before=before)
    return rows


def two_sided_page(
    queryset: QuerySet[ExchangeRecord], *, institution_id: int, limit: int,
    before: tuple[datetime.datetime, uuid.UUID] | None = None,
) -> tuple[list[ExchangeRecord], bool]:
    """A newest-first keyset page of `queryset` narrowed to the records in which the institution took part, and
    whether more follow.

    The OR of inquirer and provider cannot follow an index (at 2 M records the ordered, sliced OR took 4 s:
    bench/RESULTS.md), so each side is read by its own time index (exchange_inquirer_time_idx,
    exchange_provider_time_idx), stopped at limit + 1, and the two are merged here. A record never has the same
    institution on both sides (self-inquiry is refused), so no record is counted twice.
    """
    if before is not None:
        at, record_id = before
        queryset = queryset.filter(Q(inquired_at__lt=at) | Q(inquired_at=at, id__lt=record_id))
    rows: list[ExchangeRecord] = []
    for side in (queryset.filter(inquirer_id=institution_id), queryset.filter(provider_id=institution_id)):
        rows.extend(side.order_by("-inquired_at", "-id")[: limit + 1])
    rows.sort(key=lambda r: (r.inquired_at, r.id), reverse=True)
    return rows[:limit], len(rows) > limit


def manual_queue_for(user) -> QuerySet[ExchangeRecord]:
    """The manual-response queue (手動応答待ち) of the user's insurer, oldest first (served by exchange_queue_idx)."""
    institution_id = getattr(user, "institution_id", None)
    if not institution_id:
        return ExchangeRecord.objects.none()
    return (
        ExchangeRecord.objects.manual_queue(institution_id)
        .select_related("procedure", "item", "subject")
        .order_by("inquired_at", "id")
    )


def append_requests_for(user) -> QuerySet[AppendRequest]:
    """追記依頼 filed by the user's insurer, newest first; nothing for anyone without an insurer."""
    institution_id = getattr(user, "institution_id", None)
    if not institution_id:
        return AppendRequest.objects.none()
    return (
        AppendRequest.objects.filter(institution_id=institution_id)
        .select_related("record", "record__item", "record__procedure")
        .order_by("-requested_at", "-id")
    )


def abuser_cases_naming(user, person: Person) -> QuerySet[ProtectionCase]:
    """Open 設定対象者 cases of the user's insurer that name `person` as the abuser.

    別紙2 §4 asks that a 設定対象者 be recognisable by the system at each inquiry; the console warns before an
    inquiry about such a person goes out without 不開示コード (case ②: it would name our insurer to him).
    """
    institution_id = getattr(user, "institution_id", None)
    if not institution_id:
        return ProtectionCase.objects.none()
    return ProtectionCase.objects.filter(institution_id=institution_id, abuser=person, closed_at__isnull=True)


# マイナポータル sections of 自己情報 this simulation answers; always rendered, so absence and hiding look alike.
SELF_INFO_SECTIONS = ("健康保険",)


@dataclass(frozen=True)
class SelfInfoRow:
    """One institution's latest 副本 of one item, as マイナポータル shows it."""

    section: str
    item_name: str
    content: dict
    institution_id: int  # not shown to the person; lets the staff preview keep to its own insurer's data


def self_information(*, person: Person) -> dict[str, list[SelfInfoRow]]:
    """自己情報提供: the latest 副本 of each institution and item in SELF_INFO_SECTIONS that 自己情報提供不可 allows.

    A 副本 covered by 自己情報提供不可 adds nothing (別紙3 ②: not even the insurer's name). Always exactly two
    queries, whatever the person has, so hiding cannot be told from absence by timing or query count.
    """
    replicas = (
        Replica.objects.filter(person=person, item__portal_group__in=SELF_INFO_SECTIONS)
        .select_related("item")
        .order_by("institution_id", "item_id", "-registered_at", "-id")
    )
    settings = flag_selectors.settings_by_institution(person_id=person.pk)
    result: dict[str, list[SelfInfoRow]] = {section: [] for section in SELF_INFO_SECTIONS}
    seen: set[tuple[int, int]] = set()
    for replica in replicas:
        key = (replica.institution_id, replica.item_id)
        if key in seen:
            continue  # an older registration: only the latest answers
        seen.add(key)
        if not policy.self_info_allowed(settings.get(replica.institution_id, []), replica.item.code):
            continue
        result[replica.item.portal_group].append(
            SelfInfoRow(
                section=replica.item.portal_group,
                item_name=replica.item.name,
                content=replica.content,
                institution_id=replica.institution_id,
            )
        )
    return result
