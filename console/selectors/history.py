"""やりとり履歴 for staff: filters, keyset pages, who acted (as the viewer may see it), the manual queue and 追記依頼."""

import datetime
import uuid
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.utils import timezone

from console.selectors.search import persons_matching
from exchanges.models import AppendRequest, ExchangeRecord, ExchangeState
from exchanges.selectors import is_shown_in_portal, two_sided_page
from institutions.models import Institution, Staff
from members import catalogue_cache as catalogue
from members.models import InfoItem, Member, Person, Procedure

# Exchange history (やりとり履歴) for staff.

CODE_FILTERS = {
    "any": ("不開示コードあり（いずれか）", Q(inquiry_code=True) | Q(provision_code=True)),
    "inquiry": ("照会時の不開示コードあり", Q(inquiry_code=True)),
    "provision": ("提供時の不開示コードあり", Q(provision_code=True)),
    "appended": ("追記依頼により不開示", Q(appended_nondisclosure_at__isnull=False)),
    "none": (
        "不開示コードなし",
        Q(inquiry_code=False, provision_code=False, appended_nondisclosure_at__isnull=True),
    ),
}

# The staff history's record statement joins nothing. Joining all nine related rows cost 80–130 ms of *planning*
# per query at scale (issue 12), and on the monthly partitions even the person's join is planned against each
# side's partitions (1.26 ms of planning with it, 0.84 without: bench/RESULTS.md); 事務, 特定個人情報 and institutions
# come from the in-process catalogue (members/catalogue_cache.py, no statement), the persons and the staff of the
# page from one query each.
HISTORY_CATALOGUE = {Procedure: ("procedure",), InfoItem: ("item",), Institution: ("inquirer", "provider")}
HISTORY_STAFF = ("inquired_by", "inquiry_code_by", "provision_code_by", "responded_by")
# What staff_labels reads of each staff member, joined when the page's staff are read so it needs no query again.
STAFF_LABEL_JOIN = ("department__institution", "institution")


def attach_related(records: list, queryset: models.QuerySet, fields: tuple[str, ...]) -> dict:
    """Fill the foreign keys `fields` of `records` from one query on `queryset` instead of a join per key; returns
    the rows found by primary key."""
    ids = {getattr(r, f"{f}_id") for r in records for f in fields} - {None}
    found = queryset.in_bulk(ids) if ids else {}
    for r in records:
        for f in fields:
            related_id = getattr(r, f"{f}_id")
            if related_id is not None and related_id in found:
                setattr(r, f, found[related_id])
    return found


def attach_history_related(records: list) -> dict:
    """Catalogue rows (from the cache, no statement), persons (one query) and staff (one query, what staff_labels
    needs joined) of a page of records; returns the staff by primary key."""
    catalogue.attach(records, HISTORY_CATALOGUE)
    attach_related(records, Person._base_manager.all(), ("subject",))
    return attach_related(records, Staff._base_manager.select_related(*STAFF_LABEL_JOIN), HISTORY_STAFF)


def _filtered_records(qs, user, *, date_from=None, date_to=None, person="", state="", code=""):
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(inquired_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz))
    if date_to:
        end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        qs = qs.filter(inquired_at__lt=end)
    if person:
        qs = qs.filter(subject_id__in=persons_matching(user, person))
    if state:
        qs = qs.filter(state=state)
    if code in CODE_FILTERS:
        qs = qs.filter(CODE_FILTERS[code][1])
    return qs


@dataclass
class HistoryPage:
    """One page of the staff history, newest first; `next_cursor` is None on the last page. No total count: counting
    an insurer's whole history would scan it (bench/RESULTS.md, 2 M records: 3.9 s)."""

    object_list: list
    next_cursor: str | None
    staff: dict = field(default_factory=dict)  # the page's staff by primary key, for annotate_records


def exchange_history_page(user, *, cursor: str = "", limit: int = 50, **filters) -> HistoryPage:
    """Keyset page of the staff history: every record of the caller's insurer, hidden ones included, each side by
    its own time index, merged by the database (exchanges.selectors.two_sided_page): one statement for the records
    (a time window: one for a busy insurer), one for their persons, one for the staff; the catalogue rows from the
    process's cache."""
    institution_id = getattr(user, "institution_id", None)
    if not institution_id:
        return HistoryPage([], None)
    qs = _filtered_records(ExchangeRecord.objects.all(), user, **filters)
    page, more = two_sided_page(qs, institution_id=institution_id, limit=limit, before=_parse_cursor(cursor))
    next_cursor = f"{page[-1].inquired_at.isoformat()}|{page[-1].id}" if more and page else None
    staff = attach_history_related(page)
    return HistoryPage(page, next_cursor, staff)


def _parse_cursor(cursor: str):
    """A cursor from the URL; anything malformed starts from the top (it only ever narrows our own records)."""
    try:
        at, record_id = (cursor or "").split("|", 1)
        return datetime.datetime.fromisoformat(at), uuid.UUID(record_id)
    except ValueError:
        return None


STAFF_FIELDS = ("inquired_by", "inquiry_code_by", "provision_code_by", "responded_by")


def staff_labels(user, records, staff: dict | None = None) -> dict[int, str]:
    """Who acted on these records, as the viewer may see it: our own staff by name; another insurer's staff only as
    their institution and department (「Ａ健康保険組合 業務部」), never a name. One query for the page, none when
    `staff` (read with STAFF_LABEL_JOIN, e.g. HistoryPage.staff) already holds every one of them."""
    ids = {getattr(r, f"{name}_id") for r in records for name in STAFF_FIELDS} - {None}
    labels = {}
    found = staff if staff is not None and ids <= staff.keys() else (
        Staff.objects.filter(pk__in=ids).select_related(*STAFF_LABEL_JOIN).in_bulk()
    )
    for actor in (found[pk] for pk in ids if pk in found):
        if actor.institution_id == getattr(user, "institution_id", None):
            labels[actor.pk] = str(actor)
        elif actor.department_id:
            labels[actor.pk] = f"{actor.department.institution.name} {actor.department.name}"
        else:
            labels[actor.pk] = actor.institution.name if actor.institution_id else ""
    return labels


def annotate_records(user, records, staff: dict | None = None) -> list[ExchangeRecord]:
    """Add, for display: who acted (`<field>_label`, see staff_labels), our side (照会/提供), our member if the
    subject is one, and whether the portal shows it."""
    records = list(records)
    labels = staff_labels(user, records, staff)
    person_ids = {r.subject_id for r in records}
    members = {
        m.person_id: m for m in Member.objects.visible_to(user).filter(person_id__in=person_ids)
    }
    appends: dict = {}
    for a in AppendRequest.objects.filter(institution_id=user.institution_id, record__in=records):
        appends.setdefault(a.record_id, []).append(a)
    for r in records:
        for name in STAFF_FIELDS:  # e.g. r.inquired_by_label
            setattr(r, f"{name}_label", labels.get(getattr(r, f"{name}_id"), ""))
        r.our_side = "照会" if r.inquirer_id == user.institution_id else "提供"
        r.partner = r.provider if r.inquirer_id == user.institution_id else r.inquirer
        r.our_member = members.get(r.subject_id)
        r.shown_in_portal = is_shown_in_portal(r)
        r.our_appends = appends.get(r.pk, [])
    return records


def manual_queue(user) -> list[ExchangeRecord]:
    rows = (
        ExchangeRecord.objects.visible_to(user)
        .manual_queue(user.institution_id)
        .select_related("inquirer", "procedure", "item", "subject")
        .order_by("inquired_at")
    )
    return annotate_records(user, rows)

def append_requests(user) -> models.QuerySet[AppendRequest]:
    return (
        AppendRequest.objects.filter(
            institution_id=user.institution_id, record__in=ExchangeRecord.objects.visible_to(user)
        )
        .select_related("record", "record__item", "record__subject")
        .order_by("-requested_at")
    )

def exchange_states() -> list[tuple[str, str]]:
    return list(ExchangeState.choices)
