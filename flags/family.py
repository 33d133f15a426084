"""同伴者 (accompanying family, SPEC rule 12): the persons who fled with the protected person — children or others,
members of the same insurer — named on her case.

Each gets the case's protections (flags.policy.companion_setting_kinds, set through set_setting with the case as their
source, so the case's closure and its card-procedure gate cover them); the case's linked persons apply to all
(inquiries about the abuser are coded by the case, whoever they concern). Removing a companion removes protection,
so it follows the four eyes of clearing. Handover carries them (offer_companions / carry_companions, one line each
in flags.handover). Each act runs in one transaction: role and insurer, validate, save, audit entry.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from flags.card_gate import card_procedure_gate
from flags.models import (
    CaseCompanion,
    ClearingRequestState,
    CompanionRemovalRequest,
    Handover,
    HandoverCompanion,
    ProtectionCase,
    Setting,
    SettingSource,
)
from flags.policy import companion_setting_kinds
from flags.selectors import lock_person_settings, whole_member_kinds
from flags.setting_changes import mark_cleared, set_setting, setting_snapshot, write_setting
from institutions.access import require_changer, require_independent_approver
from institutions.models import Role
from members.models import Member

MAX_RELATION = 20


def _companion_snapshot(companion: CaseCompanion) -> dict:
    return {"case": companion.case_id, "member": companion.member.branch_number, "relation": companion.relation,
            "in_force": companion.is_in_force}


def companion_kinds(case: ProtectionCase) -> list:
    """The protections a companion of this case gets: those in force on her whole member, and case ①'s two."""
    return companion_setting_kinds(whole_member_kinds(case.member_id), case_card_or_proxy=case.case_card_or_proxy)


def add_companion(*, actor, case: ProtectionCase, member: Member, relation: str, reason: str) -> CaseCompanion:
    """Name a member of our insurer who fled with her; set the case's protections on them in the same step."""
    require_changer(actor)
    if case.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定対象者は扱えません。", code="other_insurer")
    relation, reason = (relation or "").strip(), (reason or "").strip()
    errors = {}
    if member.insurer_id != actor.institution_id:
        errors["member"] = "同伴者には、当保険者の被保険者を指定してください。"
    elif member.pk == case.member_id:
        errors["member"] = "設定対象者本人を同伴者にすることはできません。"
    elif member.lost_on is not None:
        errors["member"] = "資格を喪失した被保険者は同伴者にできません。"
    if not relation or len(relation) > MAX_RELATION:
        errors["relation"] = f"続柄（子など）を{MAX_RELATION}文字以内で入力してください。"
    if not reason:
        errors["reason"] = "登録理由を入力してください。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = ProtectionCase.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError("終了した設定対象者には同伴者を追加できません。", code="case_closed")
        if case.linked_persons.in_force().filter(person_id=member.person_id).exists():
            raise ValidationError({"member": "要注意照会対象者（加害者など）を同伴者にすることはできません。"},
                                  code="linked")
        lock_person_settings(institution_id=case.institution_id, person_id=member.person_id)
        if CaseCompanion.objects.in_force().filter(case=case, member=member).exists():
            raise ValidationError({"member": "この方はすでに同伴者として登録されています。"}, code="duplicate")
        companion = CaseCompanion(
            case=case, institution_id=case.institution_id, member=member, relation=relation, reason=reason,
            added_at=timezone.now(), added_by=actor, added_by_name=str(actor),
        )
        try:
            with transaction.atomic():
                companion.save()
        except IntegrityError:
            raise ValidationError({"member": "この方はすでに同伴者として登録されています。"}, code="duplicate") from None
        record(actor=actor, action="case.companion_added", target=case, after=_companion_snapshot(companion),
               message=reason)
        in_force = whole_member_kinds(member.pk)
        for kind in companion_kinds(case):
            if kind not in in_force:
                set_setting(actor=actor, member=member, kind=kind, source=SettingSource.CASE, case=case,
                            reason=f"同伴者（{relation}）として設定対象者に登録: {reason}")
    return companion


def companion_settings(companion: CaseCompanion) -> list[Setting]:
    """The settings the case set on this companion and still in force."""
    return list(Setting.objects.active().filter(case_id=companion.case_id, member_id=companion.member_id))


def request_companion_removal(
    *, actor, companion: CaseCompanion, reason: str, override_reason: str = ""
) -> CompanionRemovalRequest:
    """Ask to take a companion off the case. Their protection stays until a supervisor other than the requester
    approves; case ①'s card-procedure gate is asked for each protection it would clear, as for any clearing."""
    require_changer(actor)
    if companion.institution_id != actor.institution_id:
        raise ValidationError("他の保険者の設定対象者は扱えません。", code="other_insurer")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "削除理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        companion = CaseCompanion.objects.select_for_update().select_related("member").get(pk=companion.pk)
        if not companion.is_in_force:
            raise ValidationError("この同伴者はすでに削除されています。", code="already_removed")
        if CompanionRemovalRequest.objects.filter(companion=companion, state=ClearingRequestState.PENDING).exists():
            raise ValidationError("この同伴者にはすでに承認待ちの削除依頼があります。", code="pending_exists")
        override = ""
        for setting in companion_settings(companion):
            override = card_procedure_gate(actor=actor, setting=setting, override_reason=override_reason) or override
        removal = CompanionRemovalRequest.objects.create(
            companion=companion, institution_id=companion.institution_id, reason=reason, override_reason=override,
            override_by_name=str(actor) if override else "", requested_at=timezone.now(), requested_by=actor,
            requested_by_name=str(actor),
        )
        record(actor=actor, action="case.companion_removal_requested", target=companion.case,
               after=_companion_snapshot(companion), message=reason)
        if override:
            record(actor=actor, action="case.companion_removal_override", target=companion.case,
                   after={"removal": removal.pk}, message=override)
    return removal


def companion_removal_refusal(*, actor, removal: CompanionRemovalRequest) -> Exception | None:
    """Why `actor` may not decide this removal, or None: a supervisor of the insurer, on a pending request, who is
    not its requester nor made by, or making, the requester (the four eyes of clearing)."""
    if not getattr(actor, "is_insurer_staff", False) or actor.role != Role.SUPERVISOR:
        return PermissionDenied("同伴者の削除の承認は責任者のみが行えます。")
    if removal.institution_id != actor.institution_id:
        return ValidationError("他の保険者の削除依頼は扱えません。", code="other_insurer")
    if removal.state != ClearingRequestState.PENDING:
        return ValidationError("この削除依頼はすでに処理されています。", code="already_decided")
    try:  # four eyes by provenance: institutions.access, the one rule
        require_independent_approver(actor, requested_by=removal.requested_by_id, requested_at=removal.requested_at)
    except ValidationError as exc:
        return exc
    return None


def decide_companion_removal(
    *, actor, removal: CompanionRemovalRequest, approve: bool, note: str = ""
) -> CompanionRemovalRequest:
    """Approve (the companion leaves the case and the protections the case set on them are cleared, the gate asked
    again) or reject. A rejection needs a reason."""
    if isinstance(refusal := companion_removal_refusal(actor=actor, removal=removal), PermissionDenied):
        raise refusal
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "却下する場合は理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        removal = CompanionRemovalRequest.objects.select_for_update().get(pk=removal.pk)
        if refusal := companion_removal_refusal(actor=actor, removal=removal):  # re-read under the lock
            raise refusal
        companion = CaseCompanion.objects.select_for_update().select_related("member", "case").get(
            pk=removal.companion_id)
        now = timezone.now()
        if approve:
            lock_person_settings(institution_id=companion.institution_id, person_id=companion.member.person_id)
            for setting in companion_settings(companion):
                card_procedure_gate(actor=actor, setting=setting, override_reason=removal.override_reason)
                before = setting_snapshot(setting)
                mark_cleared(setting, approver=actor, requester=removal.requested_by,
                             requester_name=removal.requested_by_name, reason=f"同伴者の削除: {removal.reason}",
                             now=now)
                record(actor=actor, action="setting.cleared", target=setting, before=before,
                       after=setting_snapshot(setting), message=f"同伴者の削除に伴う解除（承認: {actor}）")
            before = _companion_snapshot(companion)
            companion.removed_at = now
            companion.save(update_fields=["removed_at"])
            record(actor=actor, action="case.companion_removed", target=companion.case, before=before,
                   after=_companion_snapshot(companion), message=f"{removal.reason}（承認: {actor}）")
        else:
            record(actor=actor, action="case.companion_removal_rejected", target=companion.case,
                   after=_companion_snapshot(companion), message=note)
        removal.state = ClearingRequestState.APPROVED if approve else ClearingRequestState.REJECTED
        removal.decided_at, removal.decided_by, removal.decided_by_name = now, actor, str(actor)
        removal.decision_note = note
        removal.save()
    return removal


def companion_person_ids(*, institution_id: int, case_ids) -> dict[int, list[int]]:
    """The persons each case names as 同伴者 (in force), for the sweep: {case_id: [person_id, …]}."""
    rows = (CaseCompanion.objects.in_force().filter(institution_id=institution_id, case_id__in=list(case_ids))
            .values_list("case_id", "member__person_id"))
    result: dict[int, list[int]] = {}
    for case_id, person_id in rows:
        result.setdefault(case_id, []).append(person_id)
    return result


# ---- handover (called from flags.handover, one line each) ---------------------------------------------------


def offer_companions(*, handover: Handover, case: ProtectionCase) -> None:
    """The offer names the case's companions (persons and relation only: the new insurer learns nothing else)."""
    HandoverCompanion.objects.bulk_create([
        HandoverCompanion(handover=handover, person_id=c.member.person_id, relation=c.relation)
        for c in case.companions.in_force().select_related("member")
    ])


def protect_offered_companions(*, handover: Handover, case: ProtectionCase | None, person_ids=None) -> int:
    """引継ぎによる仮設定 of the 同伴者 an offer names (issue 17 ①⑤): each who is (or becomes) the new insurer's member
    gets a companion's protections the instant they are, by the system in the caller's transaction — whether she is
    enrolled there yet or not — and joins her provisional case once it exists. Idempotent: a companion already on
    the case, or a protection already in force, is left as it is. Returns how many offered companions are not (yet)
    the new insurer's members."""
    offered = handover.companions.all()
    if person_ids is not None:
        offered = offered.filter(person_id__in=list(person_ids))
    kinds = companion_setting_kinds(handover.kinds, case_card_or_proxy=handover.case_card_or_proxy)
    linked = set(handover.linked_persons.values_list("pk", flat=True))
    institution_id, not_members = handover.to_institution_id, 0
    for companion in offered:
        # The lock a 加入's hook takes before it looks for handovers: an offer and a concurrent 加入 meet.
        lock_person_settings(institution_id=institution_id, person_id=companion.person_id)
        member = (Member.objects.filter(insurer_id=institution_id, person_id=companion.person_id, lost_on__isnull=True)
                  .order_by("-acquired_on", "-pk").first())
        if member is None or companion.person_id in linked or (case is not None and member.pk == case.member_id):
            not_members += member is None
            continue
        reason = f"引継ぎによる仮設定（同伴者: {companion.relation}）"
        if case is not None and not CaseCompanion.objects.in_force().filter(case=case, member=member).exists():
            joined = CaseCompanion.objects.create(
                case=case, institution_id=institution_id, member=member, relation=companion.relation, reason=reason,
                added_at=timezone.now(), added_by=None, added_by_name=SettingSource.HANDOVER.label)
            record(actor=None, institution=case.institution, action="case.companion_added", target=case,
                   after=_companion_snapshot(joined), message=reason)
        in_force = whole_member_kinds(member.pk)
        for kind in kinds:
            if kind not in in_force:
                write_setting(actor=None, member=member, kind=kind, reason=reason, item=None,
                              source=SettingSource.HANDOVER, case=case)
    return not_members


def carry_companions(*, actor, handover: Handover, case: ProtectionCase) -> None:
    """At confirmation: the offered companions who are the new insurer's members are on the case already (joined
    provisionally); the others are recorded so B's staff add them once enrolled — their 加入 protects them anyway
    while the handover is pending."""
    if not_members := protect_offered_companions(handover=handover, case=case):
        record(actor=actor, action="handover.companions_not_members", target=case,
               after={"handover": handover.pk, "count": not_members},
               message="引継ぎの同伴者のうち当保険者の被保険者でない方がいます。資格取得の登録後に同伴者として追加してください。")
