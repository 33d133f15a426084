"""The member page and the inquiry preview: the 別紙1 effects table, a member's settings, what an inquiry will
carry, and the 資格 dates beside a 副本."""

import datetime
from dataclasses import dataclass, field

from django.db import DatabaseError, models

from flags import policy
from flags import selectors as flag_selectors
from flags.models import ClearingRequest, ClearingRequestState, ProtectionCase, Setting
from flags.policy import SETTING_EFFECTS, SETTING_LABELS, SettingKind
from members.models import InfoItem, Member, Person


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
