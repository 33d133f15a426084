"""Reads of exchange records. What a person may see goes through flags.policy.shown_in_history."""

import datetime
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from exchanges import partitions
from exchanges.models import AppendRequest, AppendRequestStatus, ExchangeRecord, ExchangeState
from flags import policy
from flags import selectors as flag_selectors
from members import catalogue_cache as catalogue
from members.models import InfoItem, Person, Procedure, Replica
from nakama.compiled import CompiledQuery

PORTAL_HISTORY_PAGE = 50  # records per page of the portal やりとり履歴

# The inputs of flags.policy.shown_in_history, each as the SQL condition for True and for False.
_SHOWN_INPUTS = {
    "complete": (Q(state=ExchangeState.PROVIDED), ~Q(state=ExchangeState.PROVIDED)),
    "inquiry_code": (Q(inquiry_code=True), Q(inquiry_code=False)),
    "provision_code": (Q(provision_code=True), Q(provision_code=False)),
    "appended": (Q(appended_nondisclosure_at__isnull=False), Q(appended_nondisclosure_at__isnull=True)),
}


def shown_in_portal_q() -> Q:
    """Rule 3 as a SQL condition, derived from flags.policy.shown_in_history, not written again by hand: the policy
    is asked about every combination of its inputs and the combinations it shows are OR-ed. The database then
    narrows by the same rule the rows are finally checked with (is_shown_in_portal)."""
    names = list(_SHOWN_INPUTS)
    shown = Q(pk__in=[])  # nothing, if the policy showed nothing
    for values in itertools.product((True, False), repeat=len(names)):
        if policy.shown_in_history(**dict(zip(names, values, strict=True))):
            term = Q()
            for name, value in zip(names, values, strict=True):
                term &= _SHOWN_INPUTS[name][0 if value else 1]
            shown |= term
    return shown


# 事務 and 特定個人情報 of the portal's rows come from the in-process catalogue, not joined: on the monthly
# partitions the two joins cost a third of the page's planning (bench/RESULTS.md).
PORTAL_CATALOGUE = {Procedure: ("procedure",), InfoItem: ("item",)}


def _portal_rows(person: Person | int) -> QuerySet[ExchangeRecord]:
    """One person's records rule 3 allows, newest first, by exchange_subject_time_idx (subject, -inquired_at)."""
    person_id = person if isinstance(person, int) else person.pk
    return ExchangeRecord.objects.filter(subject_id=person_id).filter(shown_in_portal_q()).order_by(
        "-inquired_at", "-id"
    )


# The portal's first page, the one every visit opens: compiled by Django once and prepared once per database
# connection (nakama/compiled.py). On the monthly partitions its planning cost more than running it (2.4–2.8 ms
# against 0.5–0.8 ms: bench/RESULTS.md); a prepared statement is not planned for every call. One per page size.
_PORTAL_FIRST_PAGES: dict[int, CompiledQuery] = {}


def _portal_first_page(person_id: int, count: int) -> list[ExchangeRecord]:
    query = _PORTAL_FIRST_PAGES.get(count)
    if query is None:
        query = _PORTAL_FIRST_PAGES[count] = CompiledQuery(
            lambda person_id: _portal_rows(person_id)[:count], prepare_as=f"nakama_portal_first_page_{count}",
            person_id=int,
        )
    return query.objects(person_id=person_id)


def portal_history(*, person: Person) -> list[ExchangeRecord]:
    """やりとり履歴 of a person, every record rule 3 allows, newest first (pages: portal_history_page).

    The database narrows by the rule derived from the policy; the policy still decides, row by row.
    """
    rows = [r for r in _portal_rows(person) if is_shown_in_portal(r)]
    catalogue.attach(rows, PORTAL_CATALOGUE)
    return rows


def is_shown_in_portal(record: ExchangeRecord) -> bool:
    """Rule 3 for one record, as flags.policy decides it."""
    return policy.shown_in_history(
        complete=record.state == ExchangeState.PROVIDED,
        inquiry_code=record.inquiry_code,
        provision_code=record.provision_code,
        appended=record.appended_nondisclosure_at is not None,
    )


@dataclass(frozen=True)
class PortalHistoryPage:
    records: list[ExchangeRecord]
    next_position: tuple[datetime.datetime, uuid.UUID] | None  # (inquired_at, id) of the last record, if more follow


def portal_history_page(
    *, person: Person, before: tuple[datetime.datetime, uuid.UUID] | None = None,
    institution_id: int | None = None, limit: int | None = None,
) -> PortalHistoryPage:
    """One keyset page of a person's やりとり履歴: one indexed query stopped at the page, so a person with thousands
    of records costs what a person with three does. `institution_id` keeps the staff preview to one insurer."""
    limit = limit or PORTAL_HISTORY_PAGE
    rows = _portal_rows(person)
    if institution_id is not None:
        rows = rows.filter(Q(inquirer_id=institution_id) | Q(provider_id=institution_id))
    if before is not None:
        at, record_id = before
        rows = rows.filter(Q(inquired_at__lt=at) | Q(inquired_at=at, id__lt=record_id))
    if institution_id is None and before is None:
        fetched = _portal_first_page(person.pk, limit + 1)
    else:
        fetched = list(rows[: limit + 1])
    more = len(fetched) > limit
    page = [r for r in fetched[:limit] if is_shown_in_portal(r)]
    catalogue.attach(page, PORTAL_CATALOGUE)
    last = fetched[limit - 1] if more else None
    return PortalHistoryPage(page, (last.inquired_at, last.id) if last else None)


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
    exchange_provider_time_idx), stopped at limit + 1, and the database merges the two (UNION ALL, ordered, again
    stopped at limit + 1): one statement per time window (history_windows; a busy insurer's page needs one), and
    only the page's rows travel and become objects (merging in Python built twice as many). A record never has the
    same institution on both sides (self-inquiry is refused), so no record is counted twice.
    """
    top = timezone.now()
    if before is not None:
        at, record_id = before
        queryset = queryset.filter(Q(inquired_at__lt=at) | Q(inquired_at=at, id__lt=record_id))
        top = at
    need = limit + 1
    rows: list[ExchangeRecord] = []
    for window in history_windows(queryset, top):
        rows.extend(two_sided_rows(window, institution_id=institution_id, count=need - len(rows)))
        if len(rows) >= need:
            break
    return rows[:limit], len(rows) > limit


def two_sided_rows(
    queryset: QuerySet[ExchangeRecord], *, institution_id: int, count: int
) -> QuerySet[ExchangeRecord] | list[ExchangeRecord]:
    """One statement of two_sided_page: the newest `count` records of each side, merged, the newest `count` kept."""
    newest_first = ("-inquired_at", "-id")
    inquired, provided = (
        queryset.filter(**{side: institution_id}).order_by(*newest_first)[:count]
        for side in ("inquirer_id", "provider_id")
    )
    if not connections[queryset.db].features.supports_slicing_ordering_in_compound:
        # SQLite (the demo) cannot limit a branch of a UNION: two statements, merged here.
        rows = [*inquired, *provided]
        rows.sort(key=lambda r: (r.inquired_at, r.id), reverse=True)
        return rows[:count]
    return inquired.union(provided, all=True).order_by(*newest_first)[:count]


# The records are partitioned by month (exchanges/partitions.py): a query with no time bound is planned against
# every month since records began (~2 ms of planning at 74 months, measured). Staff history therefore reads the
# newest months first, each window a query the planner prunes to its months; a window that does not fill the page
# hands over to the next, older one, and the last has no lower bound. A busy insurer's first page comes from the
# first window (this month and the one before). Windows are disjoint and newest first, so their rows concatenate
# in order.
HISTORY_WINDOWS_MONTHS = (1, 12)


def history_windows(queryset: QuerySet[ExchangeRecord], top: datetime.datetime) -> Iterator[QuerySet[ExchangeRecord]]:
    """`queryset` cut into the time windows of HISTORY_WINDOWS_MONTHS before the month of `top`, newest first."""
    this_month = partitions.month_start(top)
    lowers = [partitions.add_months(this_month, -n) for n in HISTORY_WINDOWS_MONTHS] + [None]
    upper = None
    for lower in lowers:
        window = queryset
        if lower is not None:
            window = window.filter(inquired_at__gte=lower)
        if upper is not None:
            window = window.filter(inquired_at__lt=upper)
        yield window
        upper = lower


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


@dataclass(frozen=True)
class PendingAppends:
    """追記依頼 NWS has not processed yet: each such record is still shown in マイナポータル."""

    count: int
    oldest_age: datetime.timedelta | None
    oldest: list[AppendRequest]  # the oldest few, for the dashboard


def pending_appends_for(user, *, filed_by_user: bool = False, limit: int = 10) -> PendingAppends:
    """依頼中 requests of the user's insurer (a supervisor's dashboard), or only those the user filed (home)."""
    rows = append_requests_for(user).filter(status=AppendRequestStatus.PENDING)
    if filed_by_user:
        rows = rows.filter(requested_by=user)
    oldest = list(rows.select_related("record__subject").order_by("requested_at", "id")[:limit])
    return PendingAppends(
        count=rows.count(), oldest_age=oldest[0].age if oldest else None, oldest=oldest,
    )


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
