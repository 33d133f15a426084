"""Who looked at her (issue 17 point 6, SPEC rule 10): a case's 担当 staff, the reason anyone else gives first
(break the glass), and the access log built on the `protected.viewed` audit entries.

Every access to a protected person — her member page, her case pages, the staff preview of her portal, an inquiry
about her or about a person linked to her case, a name search shown unmasked — is one `protected.viewed` entry whose
target is her member and whose `after` says through what (`channel`), why (`reason`, empty for 担当) and whether the
viewer was 担当 (`in_charge`). The case page's 閲覧記録 and the auditor's weekly digest read only those entries.
"""

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record as audit
from flags.models import CaseLinkedPerson, CaseStaff, ProtectionCase, Setting
from flags.policy import SettingKind
from institutions.access import require_changer
from institutions.models import Staff
from members.models import Member, Person
from nakama.compiled import CompiledQuery

VIEWED = "protected.viewed"
MEMBER_TARGET = "members.Member"
REASON_MAX = 200  # one line


# 担当.


def in_charge_ids(case: ProtectionCase) -> set[int]:
    """Staff in charge of the case: live CaseStaff rows, and the registering clerk unless a row about him exists
    (a 責任者 removed him, or added him explicitly)."""
    rows = list(CaseStaff.objects.filter(case=case).values_list("staff_id", "removed_at"))
    ids = {staff_id for staff_id, removed_at in rows if removed_at is None}
    if case.opened_by_id and case.opened_by_id not in {staff_id for staff_id, _ in rows}:
        ids.add(case.opened_by_id)
    return ids


@dataclass(frozen=True)
class InCharge:
    staff: object
    since: datetime.datetime
    by_default: bool  # the registering clerk, never added by hand


def staff_in_charge(case: ProtectionCase) -> list[InCharge]:
    """The case's 担当 for display, the registering clerk first."""
    ids = in_charge_ids(case)
    live = {row.staff_id: row for row in CaseStaff.objects.in_force().filter(case=case)}
    staff = Staff.objects.filter(pk__in=ids, institution_id=case.institution_id).in_bulk()
    rows = [
        InCharge(staff=staff[pk], since=live[pk].added_at if pk in live else case.opened_at, by_default=pk not in live)
        for pk in ids if pk in staff
    ]
    return sorted(rows, key=lambda r: (not r.by_default, r.since))


def _require_supervisor_of(actor, case: ProtectionCase) -> None:
    require_changer(actor)
    if not actor.is_supervisor:
        raise PermissionDenied("担当の追加・削除は責任者のみが行えます。")
    if case.institution_id != actor.institution_id:
        raise PermissionDenied("この設定対象者の担当は変更できません。")


def add_case_staff(*, actor, case: ProtectionCase, staff) -> CaseStaff:
    """A 責任者 names another staff member of the insurer 担当 of the case (audited)."""
    _require_supervisor_of(actor, case)
    if staff is None or staff.institution_id != actor.institution_id or not staff.is_active:
        raise ValidationError({"staff": "担当にする職員を選んでください。"}, code="staff_unknown")
    with transaction.atomic():
        ProtectionCase.objects.select_for_update().filter(pk=case.pk).first()
        if staff.pk in in_charge_ids(case):
            raise ValidationError({"staff": f"{staff}はすでに担当です。"}, code="already_in_charge")
        row = CaseStaff.objects.create(case=case, institution_id=case.institution_id, staff=staff,
                                       added_at=timezone.now(), added_by_name=str(actor))
        audit(actor=actor, action="case.staff_added", target=case, after={"staff": staff.pk, "name": str(staff)})
    return row


def remove_case_staff(*, actor, case: ProtectionCase, staff) -> None:
    """A 責任者 takes a staff member off the case's 担当 (audited); the registering clerk too."""
    _require_supervisor_of(actor, case)
    with transaction.atomic():
        ProtectionCase.objects.select_for_update().filter(pk=case.pk).first()
        if staff is None or staff.pk not in in_charge_ids(case):
            raise ValidationError({"staff": "この職員は担当ではありません。"}, code="not_in_charge")
        now = timezone.now()
        live = CaseStaff.objects.in_force().filter(case=case, staff=staff).first()
        if live is None:  # the registering clerk, 担当 by default: his removal is a row of its own
            live = CaseStaff(case=case, institution_id=case.institution_id, staff=staff, added_at=case.opened_at,
                             added_by_name="（登録者）")
        live.removed_at, live.removed_by_name = now, str(actor)
        live.save()
        audit(actor=actor, action="case.staff_removed", target=case, before={"staff": staff.pk, "name": str(staff)})


# Who must give a reason.

SESSION_KEY = "nakama_glass"  # in the staff member's session: {member pk: the reason given}, until sign-out


def granted_reason(session, member_pk: int) -> str:
    """The reason this session gave for her, or ""."""
    return (session.get(SESSION_KEY) or {}).get(str(member_pk), "")


def grant(session, member_pk: int, reason: str) -> None:
    grants = dict(session.get(SESSION_KEY) or {})
    grants[str(member_pk)] = reason
    session[SESSION_KEY] = grants



def protected_cases(user, member: Member) -> list[ProtectionCase]:
    """Her open cases at the caller's insurer."""
    return list(ProtectionCase.objects.visible_to(user).filter(member=member, closed_at__isnull=True))


def is_in_charge(user, member: Member) -> bool:
    """担当 of one of her open cases; with no open case but an active setting, whoever set one of them."""
    cases = protected_cases(user, member)
    if cases:
        return any(user.pk in in_charge_ids(c) for c in cases)
    setters = Setting.objects.visible_to(user).active().filter(member=member, kind__in=GLASS_KINDS).values_list(
        "set_by_id", flat=True)
    return user.pk in set(setters)


# Settings that mark a DV / abuse victim without a case; 自動応答不可 alone (e.g. a late 副本, 別紙3 ③) does not.
GLASS_KINDS = (SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO)


def is_protected(user, member: Member) -> bool:
    """Behind the glass: an open case, or an active 不開示該当 / 自己情報提供不可 setting (one query)."""
    cases = ProtectionCase.objects.visible_to(user).filter(member=member, closed_at__isnull=True)
    settings = Setting.objects.visible_to(user).active().filter(member=member, kind__in=GLASS_KINDS)
    return Member.objects.filter(pk=member.pk).filter(Exists(cases) | Exists(settings)).exists()


def needs_reason(user, member: Member, *, case: ProtectionCase | None = None) -> bool:
    """Break the glass: a staff member who is not 担当 gives a reason before seeing a protected person. A closed
    case's own page asks its 担当 (she may still be at risk; her history is hers)."""
    if case is not None and not case.is_open:
        return user.pk not in in_charge_ids(case)
    return is_protected(user, member) and not is_in_charge(user, member)


def inquiry_protected_members(user, person_id: int, *, member: Member | None = None) -> list[Member]:
    """The protected members an inquiry about this person touches: herself if she is our protected member, and
    every member whose open case links him (要注意照会対象). Empty for anyone else. `member`: ours, when known."""
    members = []
    own = member or Member.objects.visible_to(user).filter(person_id=person_id).first()
    if own is not None and is_protected(user, own):
        members.append(own)
    links = (CaseLinkedPerson.objects.visible_to(user).in_force()
             .filter(person_id=person_id, case__closed_at__isnull=True).select_related("case__member"))
    members += [link.case.member for link in links if link.case.member not in members]
    return members


def _behind_glass(user):
    """Our members behind the glass (is_protected as one queryset: an open case or an active GLASS_KINDS setting)."""
    cases = ProtectionCase.objects.visible_to(user).filter(member=OuterRef("pk"), closed_at__isnull=True)
    settings = Setting.objects.visible_to(user).active().filter(member=OuterRef("pk"), kind__in=GLASS_KINDS)
    return Member.objects.visible_to(user).filter(Exists(cases) | Exists(settings))


def _linked(user):
    """Persons linked on an open case of the caller's insurer (要注意照会対象, in force)."""
    return CaseLinkedPerson.objects.visible_to(user).in_force().filter(case__closed_at__isnull=True)


def touched_persons(user, person_ids: set[int]) -> set[int]:
    """Of these persons, those an inquiry would touch as inquiry_protected_members sees it — our members behind
    the glass, and persons linked on an open case — in two reads for a whole 一括照会 (the lines about anyone
    else need no reason and record no access)."""
    if not person_ids:
        return set()
    behind_glass = set(_behind_glass(user).filter(person_id__in=person_ids).values_list("person_id", flat=True))
    linked = set(_linked(user).filter(person_id__in=person_ids).values_list("person_id", flat=True))
    return behind_glass | linked


# touched_persons for the one person of a single inquiry, as one statement compiled and prepared once per
# connection (issue 20: building the two reads cost more CPU than the rest of the POST's rules together). Scoped by
# the same visible_to, built with a stand-in caller whose insurer is the compiled query's value.
_TOUCHES = CompiledQuery(
    lambda insurer, person: Person.objects.filter(pk=person).annotate(
        behind_glass=Exists(_behind_glass(SimpleNamespace(institution_id=insurer)).filter(person_id=OuterRef("pk"))),
        linked=Exists(_linked(SimpleNamespace(institution_id=insurer)).filter(person_id=OuterRef("pk"))),
    ).only("pk"),
    prepare_as="nakama_inquiry_touches", insurer=int, person=int,
)


def touches_protected(user, person_id: int) -> bool:
    """Whether an inquiry about this person touches anyone behind the glass (touched_persons of one person)."""
    if not getattr(user, "institution_id", None):
        return False  # visible_to: nothing for anyone without an insurer
    found = _TOUCHES.objects(insurer=user.institution_id, person=person_id)
    return bool(found) and (found[0].behind_glass or found[0].linked)


@dataclass
class InquiryAccess:
    """An inquiry about a person as an access to the protected persons it touches: who they are, for which of them
    the sender is not 担当 (then `reason` is required), and the entries to write with the send."""

    members: list[Member]
    outside: list[Member]
    reason: str = ""

    @property
    def needs_reason(self) -> bool:
        return bool(self.outside)

    def given(self, reason: str) -> "InquiryAccess":
        """This access with the sender's reason, checked: required (ValidationError on `access_reason`) when the
        sender is not 担当 of one of the persons touched."""
        return InquiryAccess(members=self.members, outside=self.outside,
                             reason=clean_reason(reason) if self.outside else "")

    def record(self, *, actor, person_id: int) -> None:
        """Call in the sending transaction, after send_inquiry."""
        for member in self.members:
            about = "本人" if member.person_id == person_id else "要注意照会対象者"
            outside = member in self.outside
            record_access(actor=actor, member=member, channel=f"情報照会（{about}）",
                          reason=self.reason if outside else "", in_charge=not outside)


def inquiry_access(user, *, person_id: int, reason: str | None = None, member: Member | None = None) -> InquiryAccess:
    """The access an inquiry about `person_id` would be. With `reason` given (at sending), it is checked: required
    (ValidationError on `access_reason`) when the sender is not 担当 of one of the persons touched."""
    if not touches_protected(user, person_id):  # the usual inquiry: one statement, nothing to check or record
        return InquiryAccess(members=[], outside=[])
    access = protected_access(user, person_id=person_id, member=member)
    return access.given(reason) if reason is not None else access


def protected_access(user, *, person_id: int, member: Member | None = None) -> InquiryAccess:
    """inquiry_access, read in full, for a person known to be touched (touched_persons): the 一括照会 reads it once
    a person and checks each line's reason with InquiryAccess.given."""
    members = inquiry_protected_members(user, person_id, member=member)
    return InquiryAccess(members=members, outside=[m for m in members if not is_in_charge(user, m)])


def clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"access_reason": "閲覧・照会の理由を1行で入力してください（担当以外の職員）。"},
                              code="access_reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationError({"access_reason": f"理由は{REASON_MAX}文字以内で入力してください。"}, code="too_long")
    return reason


def record_access(*, actor, member: Member, channel: str, reason: str = "", in_charge: bool | None = None):
    """One access to a protected person, with why (kept with the audit entry). Call inside the act's transaction."""
    if in_charge is None:
        in_charge = is_in_charge(actor, member)
    return audit(actor=actor, action=VIEWED, target=member, message=channel,
                 after={"channel": channel, "reason": reason, "in_charge": in_charge})


# Reading the log.


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


def _entries(user):
    return AuditEntry.objects.visible_to(user).filter(action=VIEWED, target_type=MEMBER_TARGET)


def member_access_log(user, member: Member, *, limit: int = 200) -> list[Access]:
    """閲覧記録 of one protected person, newest first: who, when, through what, why."""
    rows = _entries(user).filter(target_id=str(member.pk)).order_by("-at", "-id")[:limit]
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
    entries = list(_entries(user).filter(at__gte=start, at__lt=end).order_by("at", "id"))
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
