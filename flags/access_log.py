"""Who looked at her (issue 17 point 6, SPEC rule 10): a case's 担当 staff, the reason anyone else gives first
(break the glass), and the access log built on the `protected.viewed` audit entries.

Every access to a protected person — her member page, her case pages, the staff preview of her portal, an inquiry
about her or about a person linked to her case, a name search shown unmasked — is one `protected.viewed` entry whose
target is her member and whose `after` says through what (`channel`), why (`reason`, empty for 担当) and whether the
viewer was 担当 (`in_charge`). The case page's 閲覧記録 and the auditor's weekly digest read only those entries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
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


def _in_charge_from(rows, opened_by_id) -> set[int]:
    """The one 担当 rule: live CaseStaff rows (staff_id, removed_at), and the registering clerk unless a row about
    him exists (a 責任者 removed him, or added him explicitly)."""
    ids = {staff_id for staff_id, removed_at in rows if removed_at is None}
    if opened_by_id and opened_by_id not in {staff_id for staff_id, _ in rows}:
        ids.add(opened_by_id)
    return ids


def in_charge_by_case(cases) -> dict[int, set[int]]:
    """担当 of each case, given as (case pk, opened_by_id) pairs, in one read."""
    rows = defaultdict(list)
    for case_id, staff_id, removed_at in CaseStaff.objects.filter(case_id__in=[pk for pk, _ in cases]).values_list(
            "case_id", "staff_id", "removed_at"):
        rows[case_id].append((staff_id, removed_at))
    return {pk: _in_charge_from(rows[pk], opened_by_id) for pk, opened_by_id in cases}


def in_charge_ids(case: ProtectionCase) -> set[int]:
    """Staff in charge of the case."""
    return in_charge_by_case([(case.pk, case.opened_by_id)])[case.pk]


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
        raise ValidationError({"staff": ValidationError("担当にする職員を選んでください。", code="staff_unknown")})
    with transaction.atomic():
        ProtectionCase.objects.select_for_update().filter(pk=case.pk).first()
        if staff.pk in in_charge_ids(case):
            raise ValidationError({"staff": ValidationError(f"{staff}はすでに担当です。", code="already_in_charge")})
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
            raise ValidationError({"staff": ValidationError("この職員は担当ではありません。", code="not_in_charge")})
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


# Settings that mark a DV / abuse victim without a case; 自動応答不可 alone (e.g. a late 副本, 別紙3 ③) does not.
GLASS_KINDS = (SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO)


def in_charge_member_ids(user, member_ids) -> set[int]:
    """Of these members, those the caller is 担当 of: of one of her open cases; with no open case but an active
    setting, whoever set one of them. Two reads whatever the number of members."""
    ids = set(member_ids)
    cases = list(ProtectionCase.objects.visible_to(user).filter(member_id__in=ids, closed_at__isnull=True)
                 .values_list("pk", "opened_by_id", "member_id"))
    staff = in_charge_by_case([(pk, by) for pk, by, _ in cases]) if cases else {}
    mine = {member_id for pk, _, member_id in cases if user.pk in staff[pk]}
    without_case = ids - {member_id for _, _, member_id in cases}
    if without_case:
        mine |= set(Setting.objects.visible_to(user).active().filter(
            member_id__in=without_case, kind__in=GLASS_KINDS, set_by_id=user.pk).values_list("member_id", flat=True))
    return mine


def is_in_charge(user, member: Member) -> bool:
    return member.pk in in_charge_member_ids(user, [member.pk])


def behind_glass_ids(user, member_ids) -> set[int]:
    """Of these members, those behind the glass: an open case, or an active 不開示該当 / 自己情報提供不可 setting
    (one read)."""
    cases = ProtectionCase.objects.visible_to(user).filter(member=OuterRef("pk"), closed_at__isnull=True)
    settings = Setting.objects.visible_to(user).active().filter(member=OuterRef("pk"), kind__in=GLASS_KINDS)
    return set(Member.objects.filter(pk__in=list(member_ids)).filter(Exists(cases) | Exists(settings))
               .values_list("pk", flat=True))


def is_protected(user, member: Member) -> bool:
    return member.pk in behind_glass_ids(user, [member.pk])


def members_needing_reason(user, member_ids) -> set[int]:
    """Break the glass: of these members, those the caller must give a reason for (not 担当). Three reads at most."""
    behind = behind_glass_ids(user, member_ids)
    return behind - in_charge_member_ids(user, behind) if behind else set()


def needs_reason(user, member: Member, *, case: ProtectionCase | None = None) -> bool:
    """Break the glass: a staff member who is not 担当 gives a reason before seeing a protected person. A closed
    case's own page asks its 担当 (she may still be at risk; her history is hers)."""
    if case is not None:
        return case.pk in cases_needing_reason(user, [case])
    return member.pk in members_needing_reason(user, [member.pk])


def cases_needing_reason(user, cases) -> set[int]:
    """The cases (pks) whose page asks the caller for a reason: an open one as her member page does, a closed one
    unless the caller is its 担当. A constant number of reads for a whole list."""
    closed = [c for c in cases if not c.is_open]
    need = members_needing_reason(user, {c.member_id for c in cases if c.is_open})
    staff = in_charge_by_case([(c.pk, c.opened_by_id) for c in closed]) if closed else {}
    return {c.pk for c in cases if (c.member_id in need if c.is_open else user.pk not in staff[c.pk])}


# Masked in lists: 「保護対象者」 with no name, 枝番 or birth date, until the caller is 担当 or has given a reason.
# `granted(member_ids)` answers which of them the caller gave a reason for: the console keeps reasons in the session
# (granted_in_session), the API reads them back from the log since its token was made (granted_in_log).


def masked_member_ids(user, member_ids, *, granted) -> set[int]:
    """The name search's rule: members to show masked."""
    need = members_needing_reason(user, member_ids)
    return need - granted(need) if need else set()


def masked_case_ids(user, cases, *, granted) -> set[int]:
    """The same rule for case lists: cases whose person is shown masked (her case number only)."""
    need = cases_needing_reason(user, cases)
    given = granted({c.member_id for c in cases if c.pk in need}) if need else set()
    return {c.pk for c in cases if c.pk in need and c.member_id not in given}


def granted_in_session(session):
    return lambda member_ids: {pk for pk in member_ids if granted_reason(session, pk)}


def granted_in_log(user, *, since):
    """Reasons the caller gave (entries not 担当, which always carry one) since `since` (the API token's making)."""
    def granted(member_ids) -> set[int]:
        given = viewed_entries(user).filter(actor_id=user.pk, at__gte=since, after__in_charge=False,
                                      target_id__in=[str(pk) for pk in member_ids]).exclude(after__reason="")
        return {int(pk) for pk in given.values_list("target_id", flat=True).distinct()}
    return granted


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


def viewed_entries(user):
    """The `protected.viewed` entries of the caller's insurer (flags.access_digest reads them too)."""
    return AuditEntry.objects.visible_to(user).filter(action=VIEWED, target_type=MEMBER_TARGET)
