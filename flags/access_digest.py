"""Reading who looked at her (issue 17 point 6): a protected person's 閲覧記録 and the auditor's weekly digest, both
built only from the `protected.viewed` entries flags.access_log writes."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record as audit
from flags.access_log import viewed_entries
from members.models import Member


@dataclass
class Access:
    at: datetime.datetime
    actor_name: str
    actor_id: int | None
    member: Member | None
    channel: str
    reason: str
    in_charge: bool


def _access(entry: AuditEntry, member=None) -> Access:
    after = entry.after or {}
    return Access(at=entry.at, actor_name=entry.actor_name, actor_id=entry.actor_id, member=member,
                  channel=after.get("channel") or entry.message, reason=after.get("reason", ""),
                  in_charge=bool(after.get("in_charge", False)))


def member_access_log(user, member: Member, *, limit: int = 200) -> list[Access]:
    """閲覧記録 of one protected person, newest first: who, when, through what, why."""
    rows = viewed_entries(user).filter(target_id=str(member.pk)).order_by("-at", "-id")[:limit]
    return [_access(e, member) for e in rows]


def week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    """The JST week (Monday to Sunday) holding `day`: its Monday and its start and end instants."""
    monday = day - datetime.timedelta(days=day.weekday())
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
    return monday, start, start + datetime.timedelta(days=7)


@dataclass
class DigestRow:
    """Accesses to one protected person by one staff member in the week."""

    member: Member | None
    actor_name: str
    in_charge: bool
    count: int = 0
    first_at: datetime.datetime | None = None
    last_at: datetime.datetime | None = None
    channels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)


@dataclass
class Digest:
    monday: datetime.date
    rows: list[DigestRow]

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def outside_count(self) -> int:
        return sum(r.count for r in self.rows if not r.in_charge)


def weekly_digest(user, *, day: datetime.date) -> Digest:
    """Every access to a protected person of the caller's insurer in the week of `day`, one row per person, staff
    member and 担当-or-not; rows of staff who were not 担当 first. Nothing for anyone without an insurer."""
    monday, start, end = week_bounds(day)
    entries = list(viewed_entries(user).filter(at__gte=start, at__lt=end).order_by("at", "id"))
    member_ids = {int(e.target_id) for e in entries if e.target_id.isdigit()}
    members = Member.objects.visible_to(user).in_bulk(member_ids)
    rows: dict[tuple, DigestRow] = {}
    for e in entries:
        member = members.get(int(e.target_id)) if e.target_id.isdigit() else None
        access = _access(e, member)
        key = (e.target_id, e.actor_id, e.actor_name, access.in_charge)
        row = rows.setdefault(key, DigestRow(member=member, actor_name=e.actor_name, in_charge=access.in_charge))
        row.count += 1
        row.first_at = row.first_at or e.at
        row.last_at = e.at
        row.accesses.append(access)
        if access.channel and access.channel not in row.channels:
            row.channels.append(access.channel)
        if access.reason and access.reason not in row.reasons:
            row.reasons.append(access.reason)
    ordered = sorted(rows.values(), key=lambda r: (
        r.in_charge, r.member.kana if r.member else "", r.member.pk if r.member else 0, r.actor_name))
    return Digest(monday=monday, rows=ordered)


def record_digest_read(*, actor, monday: datetime.date, rows: int | None, channel: str) -> None:
    """Reading the digest is itself audited (the week, how many rows; None for a download streamed after)."""
    after = {"week": monday.isoformat(), "channel": channel}
    if rows is not None:
        after["rows"] = rows
    audit(actor=actor, action="audit.access_digest_viewed", after=after)
