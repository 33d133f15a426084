"""要注意照会対象 (linked persons of a protection case): link, ask to remove, decide the removal (four eyes), and the
audited read of the links.

From the link on, every inquiry our insurer sends about the person carries 不開示コード (flags.policy decides it in
exchanges.services); the link and each of these acts are recorded in the audit trail.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import append, entry, record
from flags.models import CaseLinkedPerson, ClearingRequestState, LinkRemovalRequest, ProtectionCase
from flags.selectors import lock_person_settings
from institutions import access
from institutions.access import require_changer
from institutions.models import Role
from members.models import Person


def _link_snapshot(link: CaseLinkedPerson) -> dict:
    return {"case": link.case_id, "person": link.person.sim_id, "in_force": link.is_in_force}


def link_person(*, actor, case: ProtectionCase, person: Person, reason: str) -> CaseLinkedPerson:
    """Name a person on a case as 要注意照会対象. Any person but the protected person herself: a non-member, or a
    member of our own insurer (in 協会けんぽ the abuser often is one)."""
    require_changer(actor)
    if case.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定対象者は扱えません。", code="other_insurer")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "登録理由を入力してください。"}, code="reason_required")
    if person.pk == case.member.person_id:
        raise ValidationError({"person": "設定対象者本人を要注意照会対象者にすることはできません。"}, code="self_link")
    return write_link(actor=actor, case=case, person=person, reason=reason)


def write_link(*, actor, case: ProtectionCase, person: Person, reason: str) -> CaseLinkedPerson:
    """The write of link_person, after its checks. Called directly only by flags.handover, whose actor may be none
    (引継ぎによる仮設定 made by the system when she joins)."""
    with transaction.atomic():
        case = ProtectionCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError("終了した設定対象者には要注意照会対象者を追加できません。", code="case_closed")
        # The same lock an inquiry about this person takes: no inquiry slips between the link and its commit.
        lock_person_settings(institution_id=case.institution_id, person_id=person.pk)
        if CaseLinkedPerson.objects.in_force().filter(case=case, person=person).exists():
            raise ValidationError({"person": "この方はすでに要注意照会対象者として登録されています。"}, code="duplicate")
        link = CaseLinkedPerson(
            case=case,
            institution_id=case.institution_id,
            person=person,
            reason=reason,
            added_at=timezone.now(),
            added_by=actor,
            added_by_name=str(actor) if actor is not None else "引継ぎによる仮設定",
        )
        link.full_clean()
        try:
            with transaction.atomic():
                link.save()
        except IntegrityError:
            raise ValidationError(
                {"person": "この方はすでに要注意照会対象者として登録されています。"}, code="duplicate"
            ) from None
        record(actor=actor, institution=case.institution if actor is None else None, action="case.person_linked",
               target=case, after=_link_snapshot(link), message=reason)
    return link


def link_persons(*, actor, case: ProtectionCase, persons: Iterable[Person], reason: str) -> list[CaseLinkedPerson]:
    """Several links in one transaction (registration of a case): all or none."""
    with transaction.atomic():
        return [link_person(actor=actor, case=case, person=p, reason=reason) for p in persons]


def request_link_removal(*, actor, link: CaseLinkedPerson, reason: str) -> LinkRemovalRequest:
    """Ask to remove a linked person. The link stays in force until a supervisor other than the requester approves."""
    require_changer(actor)
    if link.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定対象者は扱えません。", code="other_insurer")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "削除理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        link = CaseLinkedPerson.objects.select_for_update().get(pk=link.pk)
        if not link.is_in_force:
            raise ValidationError("この要注意照会対象者はすでに削除されています。", code="already_removed")
        if LinkRemovalRequest.objects.filter(link=link, state=ClearingRequestState.PENDING).exists():
            raise ValidationError("この要注意照会対象者にはすでに承認待ちの削除依頼があります。", code="pending_exists")
        removal = LinkRemovalRequest.objects.create(
            link=link,
            institution_id=link.institution_id,
            reason=reason,
            requested_at=timezone.now(),
            requested_by=actor,
            requested_by_name=str(actor),
        )
        record(actor=actor, action="case.link_removal_requested", target=link.case, after=_link_snapshot(link),
               message=reason)
    return removal


def require_independent_approver(*, actor, requested_by_id: int | None, requested_at=None) -> None:
    """Four eyes: a 責任者 of the insurer, independent of the requester by provenance (institutions.access)."""
    if not getattr(actor, "is_insurer_staff", False) or actor.role != Role.SUPERVISOR:
        raise PermissionDenied("削除の承認は責任者のみが行えます。")
    access.require_independent_approver(actor, requested_by=requested_by_id, requested_at=requested_at)


def decide_link_removal(
    *, actor, removal_request: LinkRemovalRequest, approve: bool, note: str = ""
) -> LinkRemovalRequest:
    """A supervisor other than the requester approves (the link ends; inquiries about the person are no longer coded
    for this case) or rejects a removal request. A rejection needs no reason; an approval records the requester's."""
    require_independent_approver(actor=actor, requested_by_id=removal_request.requested_by_id,
                                 requested_at=removal_request.requested_at)
    if removal_request.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の削除依頼は扱えません。", code="other_insurer")
    with transaction.atomic():
        removal_request = LinkRemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        if removal_request.state != ClearingRequestState.PENDING:
            raise ValidationError("この削除依頼はすでに処理されています。", code="already_decided")
        require_independent_approver(actor=actor, requested_by_id=removal_request.requested_by_id,
                                 requested_at=removal_request.requested_at)
        now = timezone.now()
        removal_request.state = ClearingRequestState.APPROVED if approve else ClearingRequestState.REJECTED
        removal_request.decided_at = now
        removal_request.decided_by = actor
        removal_request.decided_by_name = str(actor)
        removal_request.decision_note = (note or "").strip()
        removal_request.save()
        link = CaseLinkedPerson.objects.select_for_update().select_related("person").get(pk=removal_request.link_id)
        if approve:
            lock_person_settings(institution_id=link.institution_id, person_id=link.person_id)
            before = _link_snapshot(link)
            link.removed_at = now
            link.save(update_fields=["removed_at"])
            record(
                actor=actor, action="case.person_unlinked", target=link.case, before=before,
                after=_link_snapshot(link), message=f"{removal_request.reason}（承認: {actor}）",
            )
        else:
            record(actor=actor, action="case.link_removal_rejected", target=link.case, after=_link_snapshot(link),
                   message=removal_request.decision_note)
    return removal_request


def record_links_viewed(*, actor, case: ProtectionCase, links: Iterable[CaseLinkedPerson], channel: str) -> None:
    """Every view of a case's linked persons is audited: who looked, at which persons, through which page or API."""
    append(links_viewed_entry(actor=actor, case=case, links=links, channel=channel))


def links_viewed_entry(*, actor, case: ProtectionCase, links: Iterable[CaseLinkedPerson], channel: str) -> AuditEntry:
    """record_links_viewed's entry, unwritten (a list of cases appends all of theirs in one INSERT)."""
    shown = [link.person.sim_id for link in links]
    return entry(actor=actor, action="case.links_viewed", target=case, after={"persons": shown}, message=channel)
