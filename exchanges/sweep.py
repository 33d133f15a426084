"""Exposure sweep (issue 11 point 1): the records in which our insurer took part that マイナポータル still shows and
that would tell the wrong person where she is.

- records about her: whoever holds her card or is her proxy sees them in her やりとり履歴;
- records about each 同伴者 on her case (who fled with her): the same, in their やりとり履歴;
- records about each person linked to her case (要注意照会対象) that name our insurer or its department
  (別紙3 ④): he sees them in his own やりとり履歴.

"Shown" is decided only by exchanges.selectors.is_shown_in_portal (the database narrows first by
shown_in_portal_q, derived from flags.policy.shown_in_history): the rule the portal itself applies, never a copy.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from audit.services import record as audit
from exchanges.models import LIVE_APPEND_STATUSES, AppendRequest, AppendRequestStatus, ExchangeRecord
from exchanges.selectors import is_shown_in_portal, shown_in_portal_q
from exchanges.services import file_append_request
from flags import selectors as flag_selectors
from institutions.access import require_changer
from members.models import Person
from nakama.wareki import format_wareki

HER, LINKED, COMPANION = "her", "linked", "companion"


@dataclass(frozen=True)
class SweepLine:
    record: ExchangeRecord
    about: str  # HER, COMPANION or LINKED
    person: Person  # whose やりとり履歴 shows it
    who_can_see: str  # in Japanese
    reveals: str  # what the line shows, in Japanese: the names as the portal prints them
    pending: AppendRequest | None  # our 追記依頼 waiting for NWS: 依頼中, not selectable again
    rejected: AppendRequest | None = None  # our latest 追記依頼 NWS turned down (差戻し), not filed again yet

    @property
    def selectable(self) -> bool:
        return self.pending is None

    @property
    def rejected_age(self) -> datetime.timedelta | None:
        """How long ago NWS turned our request down: the time the line has waited for someone to act."""
        return timezone.now() - self.rejected.processed_at if self.rejected and self.rejected.processed_at else None

    @property
    def status(self) -> str:
        """new (未依頼), pending (依頼中) or rejected (差戻し: filing again is the work left)."""
        return "pending" if self.pending else "rejected" if self.rejected else "new"


def _names_institution(record: ExchangeRecord, institution) -> bool:
    """The record prints our insurer's name (as 照会機関, 提供機関 or in 情報照会者部署名 「<保険者名> <部署名>」)."""
    name = institution.name
    return any(
        text == name or text.startswith(name + " ")
        for text in (record.inquirer_display, record.provider_display, record.inquirer_department_display)
    )


def _reveals(record: ExchangeRecord) -> str:
    department = f"・部署「{record.inquirer_department_display}」" if record.inquirer_department_display else ""
    return (
        f"照会機関「{record.inquirer_display}」{department}・提供機関「{record.provider_display}」・"
        f"{record.item.name}（{format_wareki(timezone.localtime(record.inquired_at))}）"  # JST, 和暦
    )


def _shown_rows(user, person_id: int):
    return (
        ExchangeRecord.objects.visible_to(user)  # our insurer took part: nothing of another insurer
        .filter(subject_id=person_id)
        .filter(shown_in_portal_q())
        .select_related("item", "subject")
        .order_by("-inquired_at", "-id")
    )


def exposure_sweep(*, user, case) -> list[SweepLine]:
    """Every record of the sweep for an open case of the user's insurer, her records first, then each linked
    person's. A record with our 追記依頼 pending is listed as 依頼中 (NWS has not processed it: still shown)."""
    her = case.member.person
    institution = user.institution
    lines: list[SweepLine] = []
    for r in _shown_rows(user, her.pk):
        if is_shown_in_portal(r):
            lines.append(SweepLine(
                record=r, about=HER, person=her,
                who_can_see=f"{her.name}さんのマイナポータル：カードを持つ人・代理人",
                reveals=_reveals(r), pending=None,
            ))
    for companion in case.companions.in_force().select_related("member__person"):  # 同伴者 (flags.family)
        person = companion.member.person
        lines.extend(
            SweepLine(record=r, about=COMPANION, person=person, reveals=_reveals(r), pending=None,
                      who_can_see=f"{person.name}さん（同伴者・{companion.relation}）のマイナポータル：カードを持つ人・代理人")
            for r in _shown_rows(user, person.pk) if is_shown_in_portal(r)
        )
    for link in flag_selectors.links_of(user, case):
        if not link.is_in_force:
            continue
        for r in _shown_rows(user, link.person_id):
            if is_shown_in_portal(r) and _names_institution(r, institution):
                lines.append(SweepLine(
                    record=r, about=LINKED, person=link.person,
                    who_can_see=f"{link.person.name}さん（要注意照会対象者）本人のマイナポータル",
                    reveals=_reveals(r), pending=None,
                ))
    ours = AppendRequest.objects.filter(
        institution_id=user.institution_id, record_id__in=[line.record.pk for line in lines],
        status__in=(AppendRequestStatus.PENDING, AppendRequestStatus.REJECTED),
    ).order_by("requested_at", "id")
    pending, rejected = {}, {}
    for a in ours:  # the latest rejection of each record wins
        (pending if a.is_pending else rejected)[a.record_id] = a
    return [
        SweepLine(**{
            **line.__dict__, "pending": pending.get(line.record.pk),
            "rejected": None if line.record.pk in pending else rejected.get(line.record.pk),
        })
        for line in lines
    ]


def unresolved_rejections(user, *, filed_by=None) -> QuerySet[AppendRequest]:
    """差戻し still to be dealt with: our 追記依頼 that NWS turned down, for a record we have not asked again about
    (no later request of ours) and that nothing has hidden since. Oldest rejection first. Nothing for anyone
    without an insurer; `filed_by` narrows to one staff member's own requests (a 担当者's home)."""
    institution_id = getattr(user, "institution_id", None)
    if not institution_id:
        return AppendRequest.objects.none()
    # A request of ours for the same record that is live, or filed after this one (a re-filing rejected again).
    later = AppendRequest.objects.filter(institution_id=institution_id, record_id=OuterRef("record_id")).filter(
        Q(status__in=LIVE_APPEND_STATUSES) | Q(requested_at__gt=OuterRef("requested_at"))
    )
    rows = (
        AppendRequest.objects.filter(institution_id=institution_id, status=AppendRequestStatus.REJECTED)
        .exclude(Exists(later))
        .filter(record__appended_nondisclosure_at__isnull=True)  # another insurer's request may have hidden it
    )
    if filed_by is not None:
        rows = rows.filter(requested_by=filed_by)
    return rows.select_related("record", "record__item", "record__subject").order_by("processed_at", "id")


@dataclass(frozen=True)
class Rejections:
    """差戻し as work: how many, the oldest's age since NWS turned it down, and the oldest few with NWS's reason."""

    count: int
    oldest_age: datetime.timedelta | None
    oldest: list[AppendRequest]


def rejections_summary(user, *, filed_by=None, limit: int = 10, now=None) -> Rejections:
    now = now or timezone.now()
    rows = unresolved_rejections(user, filed_by=filed_by)
    oldest = list(rows[:limit])
    for a in oldest:
        a.rejected_age = now - a.processed_at
    return Rejections(count=rows.count(), oldest_age=oldest[0].rejected_age if oldest else None, oldest=oldest)


def file_sweep_append_requests(*, actor, case, record_ids, reason: str) -> list[AppendRequest]:
    """One 追記依頼 for each selected line of the sweep, with one reason, all or nothing.

    Only lines the sweep lists now and that have no pending request may be chosen (exactly once).
    """
    require_changer(actor)
    wanted = {str(pk) for pk in record_ids}
    if not wanted:
        raise ValidationError({"records": "追記依頼を行う記録を選んでください。"}, code="required")
    if not (reason or "").strip():
        raise ValidationError({"reason": "追記依頼の理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        lines = {str(line.record.pk): line for line in exposure_sweep(user=actor, case=case)}
        unknown = wanted - lines.keys()
        if unknown:
            raise ValidationError(
                {"records": "一覧にない記録が含まれています。一覧を開き直してください。"}, code="not_in_sweep"
            )
        if any(not lines[pk].selectable for pk in wanted):
            raise ValidationError(
                "すでに追記依頼中の記録が含まれています。一覧を開き直してください。", code="append_request_exists"
            )
        filed = [
            file_append_request(actor=actor, record=lines[pk].record, reason=reason)
            for pk in sorted(wanted, key=lambda pk: list(lines).index(pk))
        ]
        refiled = [str(lines[pk].rejected.pk) for pk in wanted if lines[pk].rejected is not None]
        after = {"append_requests": [str(a.pk) for a in filed], "count": len(filed)}
        if refiled:  # 差戻し filed again: the rejected requests this answers
            after["refiled_rejections"] = sorted(refiled)
        audit(actor=actor, action="case.exposure_sweep_filed", target=case, after=after, message=reason.strip())
    return filed
