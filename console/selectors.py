"""Reads for the console. Every query starts from a `visible_to(user)` queryset; nothing here writes."""

import datetime
import unicodedata
import uuid
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, models
from django.db.models import Count, F, Func, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit import actions as audit_actions
from audit.models import AuditEntry
from exchanges.models import AppendRequest, ExchangeRecord, ExchangeState
from exchanges.selectors import is_shown_in_portal, two_sided_page
from flags import policy
from flags import selectors as flag_selectors
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase, Setting
from flags.policy import SETTING_EFFECTS, SETTING_LABELS, SettingKind
from institutions.models import Institution, Staff
from members import catalogue_cache as catalogue
from members.models import InfoItem, Member, Person, Procedure, Replica

SEARCH_LIMIT = 100


def normalize(text: str) -> str:
    """Half-width カナ and full-width letters/digits as staff may type them → the stored form (NFKC)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def to_katakana(text: str) -> str:
    """ひらがな typed into the カナ field is searched as カタカナ."""
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in normalize(text))


def tripled(text: str) -> str:
    """Every character three times, as the SQL function nakama_tripled writes it (members migration 0003)."""
    return "".join(c * 3 for c in text)


def _contains(qs, field: str, text: str):
    """`field` contains `text`; on PostgreSQL through the trigram index on (insurer_id, nakama_tripled(field)), which
    also serves a one- or two-character pattern such as a surname. The plain LIKE stays beside it as the exact
    condition."""
    qs = qs.filter(**{f"{field}__contains": text})
    if connection.vendor != "postgresql":
        return qs
    alias = f"{field}_tripled"
    return qs.alias(**{alias: Func(F(field), function="nakama_tripled", output_field=models.TextField())}).filter(
        **{f"{alias}__contains": tripled(text)}
    )


def search_members(
    user, *, branch_number: str = "", name: str = "", kana: str = "", symbol_number: str = ""
) -> models.QuerySet[Member]:
    """被保険者検索: 枝番 exact, 氏名・カナ contains (trigram indexes member_name_trgm_idx, member_kana_trgm_idx on
    PostgreSQL), 記号・番号 exact."""
    qs = Member.objects.visible_to(user)
    if branch_number:
        qs = qs.filter(branch_number=normalize(branch_number).upper())
    if name:
        qs = _contains(qs, "name", normalize(name))
    if kana:
        qs = _contains(qs, "kana", to_katakana(kana))
    if symbol_number:
        qs = qs.filter(symbol_number=normalize(symbol_number))
    return qs.order_by("kana", "branch_number")


def protected_member_ids(user, member_ids) -> set[int]:
    """Members (of the caller's insurer) with an open protection case or any active setting."""
    ids = list(member_ids)
    with_setting = (
        Setting.objects.visible_to(user).active().filter(member_id__in=ids).values_list("member_id", flat=True)
    )
    with_case = (
        ProtectionCase.objects.visible_to(user)
        .filter(member_id__in=ids, closed_at__isnull=True)
        .values_list("member_id", flat=True)
    )
    return set(with_setting) | set(with_case)


def is_protected(user, member: Member) -> bool:
    return member.pk in protected_member_ids(user, [member.pk])


@dataclass(frozen=True)
class EffectRow:
    kind: str
    label: str
    answer: str
    self_info: str
    history: str


def setting_effects() -> list[EffectRow]:
    """The 別紙1 table in plain Japanese, one row per setting kind, for display beside the choices."""
    return [
        EffectRow(kind=k.value, label=SETTING_LABELS[k], **SETTING_EFFECTS[k])
        for k in (SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO, SettingKind.NO_AUTO_RESPONSE)
    ]


def member_settings(user, member: Member) -> list[Setting]:
    """All settings on the member, active first, then history (cleared), newest first."""
    rows = (
        Setting.objects.visible_to(user)
        .filter(member=member)
        .select_related("item", "case")
        .prefetch_related(
            models.Prefetch(
                "clearing_requests",
                queryset=ClearingRequest.objects.order_by("-requested_at"),
                to_attr="requests",
            )
        )
    )
    rows = list(rows)
    for s in rows:
        s.pending_request = next((r for r in s.requests if r.state == ClearingRequestState.PENDING), None)
    return sorted(rows, key=lambda s: (not s.is_active, -s.set_at.timestamp()))


@dataclass
class InquiryPreview:
    """What the console tells staff before an inquiry is sent."""

    person: Person
    member: Member | None
    auto_code: bool
    check_failed: bool
    linked_cases: list[ProtectionCase] = field(default_factory=list)

    @property
    def is_linked(self) -> bool:
        """要注意照会対象 of an open case: the code will be attached by the system, whatever staff tick."""
        return bool(self.linked_cases)


def inquiry_preview(user, *, person: Person, item: InfoItem | None) -> InquiryPreview:
    """Renewal ①: will 不開示コード be set automatically? Is the subject a linked person (要注意照会対象)?

    The decision at sending is made again by exchanges.services.send_inquiry; this is only for display.
    """
    member = Member.objects.visible_to(user).filter(person=person).first()
    auto_code, check_failed = False, False
    try:
        settings = flag_selectors.active_settings(institution_id=user.institution_id, person_id=person.pk)
        if item is not None:
            auto_code = policy.inquiry_gets_code(settings, item.code, server=user.institution.server)
        else:
            auto_code = any(s.kind == SettingKind.NON_DISCLOSURE and s.item_code is None for s in settings)
    except DatabaseError:
        check_failed = True
    return InquiryPreview(
        person=person,
        member=member,
        auto_code=auto_code,
        check_failed=check_failed,
        linked_cases=list(flag_selectors.cases_linking(user, person.pk)),
    )


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


def persons_matching(user, text: str) -> list[int]:
    """A person typed as 個人識別子 (exact) or as one of our members' 枝番 (exact)."""
    text = normalize(text).upper()
    ids = set(Person.objects.filter(sim_id=text).values_list("pk", flat=True))
    ids |= set(Member.objects.visible_to(user).filter(branch_number=text).values_list("person_id", flat=True))
    return list(ids)


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


@dataclass(frozen=True)
class EligibilityDate:
    """One of the member's recorded dates beside the 副本's (別紙3 ③: a late 資格喪失 副本)."""

    label: str
    recorded: datetime.date | None
    replica: str | None  # as the 副本 holds it (ISO text), None when it has no value
    has_replica: bool = True  # with no 副本 there is nothing to differ from (staff enter the content)

    @property
    def differs(self) -> bool:
        return self.has_replica and (self.recorded.isoformat() if self.recorded else None) != (self.replica or None)


def eligibility_dates(member: Member | None, replica_content: dict | None) -> list[EligibilityDate]:
    """資格取得日・資格喪失日 as recorded on our member, beside the 副本 about to be sent (empty for a non-member)."""
    if member is None:
        return []
    content, has_replica = replica_content or {}, replica_content is not None
    return [
        EligibilityDate("資格取得日", member.acquired_on, content.get("資格取得日"), has_replica),
        EligibilityDate("資格喪失日", member.lost_on, content.get("資格喪失日"), has_replica),
    ]


def append_requests(user) -> models.QuerySet[AppendRequest]:
    return (
        AppendRequest.objects.filter(
            institution_id=user.institution_id, record__in=ExchangeRecord.objects.visible_to(user)
        )
        .select_related("record", "record__item", "record__subject")
        .order_by("-requested_at")
    )


# Audit trail.


def action_label(action: str) -> str:
    return audit_actions.action_label(action)


AUDIT_PAGE_SIZE = 50


def audit_entries(
    user,
    *,
    action: str = "",
    actor: str = "",
    person: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> models.QuerySet[AuditEntry]:
    """The caller's insurer's audit trail, newest first, filtered by who (実行者), what (操作), about whom
    (対象者: 個人識別子 or our 枝番) and when (期間, JST days)."""
    qs = AuditEntry.objects.visible_to(user)
    tz = timezone.get_current_timezone()
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_name__contains=normalize(actor))
    if person:
        qs = qs.filter(_about_persons(user, persons_matching(user, person)))
    if date_from:
        qs = qs.filter(at__gte=datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz))
    if date_to:
        end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        qs = qs.filter(at__lt=end)
    return qs.order_by("-at", "-id")


def _about_persons(user, person_ids: list[int]) -> Q:
    """Entries whose target is one of these persons' member, case, setting, clearing request, 副本 or record."""
    if not person_ids:
        return Q(pk__in=[])
    member_ids = list(Member.objects.visible_to(user).filter(person_id__in=person_ids).values_list("pk", flat=True))
    targets = {
        "members.Member": member_ids,
        "flags.ProtectionCase": ProtectionCase.objects.visible_to(user).filter(member_id__in=member_ids),
        "flags.Setting": Setting.objects.visible_to(user).filter(member_id__in=member_ids),
        "flags.ClearingRequest": ClearingRequest.objects.visible_to(user).filter(setting__member_id__in=member_ids),
        "members.Replica": Replica.objects.filter(institution_id=user.institution_id, person_id__in=person_ids),
        "exchanges.ExchangeRecord": ExchangeRecord.objects.visible_to(user).filter(subject_id__in=person_ids),
    }
    q = Q(pk__in=[])
    for target_type, ids in targets.items():
        if not isinstance(ids, list):
            ids = ids.values_list("pk", flat=True)
        q |= Q(target_type=target_type, target_id__in=[str(pk) for pk in ids])
    return q


@dataclass
class AuditPage:
    """One keyset page of the audit trail, newest first; `next_cursor` is None on the last page (no COUNT, no
    OFFSET: both read the whole trail of the insurer)."""

    object_list: list
    next_cursor: str | None


def audit_trail_page(user, *, cursor: str = "", limit: int = AUDIT_PAGE_SIZE, **filters) -> AuditPage:
    qs = audit_entries(user, **filters).select_related(None)
    before = _parse_audit_cursor(cursor)
    if before is not None:
        at, entry_id = before
        qs = qs.filter(Q(at__lt=at) | Q(at=at, id__lt=entry_id))
    rows = list(qs[: limit + 1])
    page, more = rows[:limit], len(rows) > limit
    next_cursor = f"{page[-1].at.isoformat()}|{page[-1].id}" if more and page else None
    return AuditPage(page, next_cursor)


def _parse_audit_cursor(cursor: str):
    """A cursor from the URL; anything malformed starts from the newest (it only narrows our own trail)."""
    try:
        at, entry_id = (cursor or "").split("|", 1)
        return datetime.datetime.fromisoformat(at), int(entry_id)
    except ValueError:
        return None


def audit_action_choices(user) -> list[tuple[str, str]]:
    """Every registered action (audit/actions.py): no DISTINCT over the insurer's whole trail to build a menu."""
    return list(audit_actions.ACTION_LABELS.items())


# Staff.


def staff_of(user) -> models.QuerySet[Staff]:
    if not getattr(user, "institution_id", None):
        return Staff.objects.none()
    staff = Staff.objects.filter(institution_id=user.institution_id).select_related("department")
    return staff.order_by("role", "username")


# Supervisor dashboard.

CHART_DAYS = 14


@dataclass(frozen=True)
class DayBar:
    day: datetime.date
    total: int
    hidden: int
    x: float
    width: float
    total_y: float
    total_h: float
    hidden_y: float
    hidden_h: float

    @property
    def hidden_percent(self) -> int:
        return round(100 * self.hidden / self.total) if self.total else 0


@dataclass
class Dashboard:
    settings_by_kind: list[tuple[str, int]]
    open_manual: int
    oldest_manual_age: datetime.timedelta | None
    manual_rows: list[ExchangeRecord]
    pending_clearing: int
    days: list[DayBar]
    chart_width: int
    chart_height: int
    chart_max: int
    total_14: int
    hidden_14: int


def _bars(counts: dict[datetime.date, tuple[int, int]], days: list[datetime.date]) -> tuple[list[DayBar], int]:
    width, height, gap = 560, 160, 6
    bar_w = (width - gap * (len(days) + 1)) / len(days)
    peak = max([t for t, _ in counts.values()] + [1])
    bars = []
    for i, day in enumerate(days):
        total, hidden = counts.get(day, (0, 0))
        total_h = height * total / peak
        hidden_h = height * hidden / peak
        bars.append(
            DayBar(
                day=day, total=total, hidden=hidden, x=round(gap + i * (bar_w + gap), 1), width=round(bar_w, 1),
                total_y=round(height - total_h, 1), total_h=round(total_h, 1),
                hidden_y=round(height - hidden_h, 1), hidden_h=round(hidden_h, 1),
            )
        )
    return bars, peak


def dashboard(user, *, now: datetime.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    active = Setting.objects.visible_to(user).active()
    by_kind = dict(active.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    settings_by_kind = [(SETTING_LABELS[k], by_kind.get(k.value, 0)) for k in SettingKind]

    queue = ExchangeRecord.objects.visible_to(user).manual_queue(user.institution_id)
    oldest = queue.aggregate(oldest=Min("inquired_at"))["oldest"]
    manual_rows = list(queue.select_related("item", "subject", "inquirer").order_by("inquired_at")[:10])
    for r in manual_rows:
        r.age = now - r.inquired_at

    pending = ClearingRequest.objects.visible_to(user).filter(state=ClearingRequestState.PENDING).count()

    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    since = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=timezone.get_current_timezone())
    hidden_q = Q(inquiry_code=True) | Q(provision_code=True) | Q(appended_nondisclosure_at__isnull=False)
    rows = (
        ExchangeRecord.objects.visible_to(user)
        .filter(inquired_at__gte=since)
        .annotate(day=TruncDate("inquired_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Count("id"), hidden=Count("id", filter=hidden_q))
    )
    counts = {r["day"]: (r["total"], r["hidden"]) for r in rows}
    bars, peak = _bars(counts, days)
    return Dashboard(
        settings_by_kind=settings_by_kind,
        open_manual=queue.count(),
        oldest_manual_age=(now - oldest) if oldest else None,
        manual_rows=manual_rows,
        pending_clearing=pending,
        days=bars,
        chart_width=560,
        chart_height=160,
        chart_max=peak,
        total_14=sum(b.total for b in bars),
        hidden_14=sum(b.hidden for b in bars),
    )


def exchange_states() -> list[tuple[str, str]]:
    return list(ExchangeState.choices)
