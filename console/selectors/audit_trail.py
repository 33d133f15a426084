"""監査証跡: the insurer's audit trail, filtered, in keyset pages."""

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit import actions as audit_actions
from audit.models import AuditEntry
from console.selectors.search import normalize, persons_matching
from exchanges.models import ExchangeRecord
from flags.models import ClearingRequest, ProtectionCase, Setting
from members.models import Member, Replica

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
