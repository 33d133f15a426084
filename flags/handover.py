"""引継ぎ (issue 11 point 3): a protected member leaves for another insurer on the same intermediate server.

The old insurer offers a handover with her consent; the new insurer's 責任者 confirms it (which opens the case and
sets the protections there through flags.services.open_protection_case, the same path as any registration) or
declines it with a reason. Until it is confirmed nothing is coded at the new insurer. Each side's audit trail
records what happened on its side; the new insurer sees only what the offer names (the person, the kinds of
protection, the linked persons, the review date), never the old insurer's case, records, audit or staff names.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record
from flags.case_lifecycle import set_review_date
from flags.family import carry_companions, offer_companions
from flags.models import Handover, HandoverState, ProtectionCase, Setting
from flags.policy import SETTING_LABELS, SettingKind
from flags.services import open_protection_case
from institutions.access import require_changer
from institutions.models import Institution
from members.models import Member

CASE_KINDS = (SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO, SettingKind.NO_AUTO_RESPONSE)


def handover_kinds(case: ProtectionCase) -> list[str]:
    """The whole-member protections in force on the case's member, in a fixed order."""
    active = set(
        Setting.objects.filter(member=case.member, item__isnull=True).active().values_list("kind", flat=True)
    )
    return [kind.value for kind in CASE_KINDS if kind.value in active]


def offer_handover(*, actor, case: ProtectionCase, to_institution: Institution, consent_on: datetime.date) -> Handover:
    """The old insurer offers a handover: her 資格喪失 is recorded and she joins `to_institution` (a Nakama insurer)."""
    require_changer(actor)
    if case.institution_id != actor.institution_id:
        raise ValidationError("設定対象者が見つかりません。", code="not_found")
    errors = {}
    if not to_institution.is_tenant or to_institution.pk == actor.institution_id or not to_institution.insurer_number:
        errors["to_institution"] = "引継ぎ先には、この中間サーバーを利用する他の保険者を選んでください。"
    if not isinstance(consent_on, datetime.date) or consent_on > timezone.localdate():
        errors["consent_on"] = "本人の同意を確認した日（今日以前）を入力してください。"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = ProtectionCase.objects.select_for_update().select_related("member").get(pk=case.pk)
        if not case.is_open:
            raise ValidationError("終了した設定対象者は引き継げません。", code="case_closed")
        if case.member.lost_on is None:
            raise ValidationError("資格喪失が記録されていません。先に資格喪失日を記録してください。", code="not_lost")
        if Handover.objects.filter(from_case=case, state=HandoverState.PENDING).exists():
            raise ValidationError("この設定対象者には確認待ちの引継ぎがあります。", code="pending_exists")
        kinds = handover_kinds(case)
        if not ({SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO} & set(kinds)):
            raise ValidationError("引き継ぐ不開示該当フラグ又は自己情報提供不可フラグがありません。", code="nothing")
        handover = Handover.objects.create(
            from_case=case, from_institution_id=case.institution_id, to_institution=to_institution,
            person_id=case.member.person_id, kinds=kinds, review_on=case.review_on, consent_on=consent_on,
            offered_at=timezone.now(), offered_by=actor,
        )
        handover.linked_persons.set([link.person_id for link in case.linked_persons.filter(removed_at__isnull=True)])
        offer_companions(handover=handover, case=case)  # 同伴者 travel with her (flags.family)
        record(actor=actor, action="handover.offered", target=case,
               after={"handover": handover.pk, "to": to_institution.name, "kinds": "、".join(kinds_labels(handover)),
                      "consent_on": consent_on.isoformat()})
        # The new insurer's trail: the world (no name of the old insurer's staff).
        record(actor=None, institution=to_institution, action="handover.received", target=handover,
               after={"from": case.institution.name, "kinds": "、".join(kinds_labels(handover))})
    return handover


def handovers_received(user) -> QuerySet[Handover]:
    """Handovers offered to the user's insurer: what the offer names, nothing of the old insurer's case."""
    if not getattr(user, "institution_id", None):
        return Handover.objects.none()
    return (
        Handover.objects.filter(to_institution_id=user.institution_id)
        .select_related("person", "from_institution")
        .prefetch_related("linked_persons")
        .order_by("state", "-offered_at")
    )


def handovers_offered(user) -> QuerySet[Handover]:
    if not getattr(user, "institution_id", None):
        return Handover.objects.none()
    return Handover.objects.filter(from_institution_id=user.institution_id).select_related("to_institution")


def kinds_labels(handover: Handover) -> list[str]:
    return [SETTING_LABELS[SettingKind(kind)] for kind in handover.kinds]


def _require_receiving_supervisor(actor, handover: Handover) -> None:
    require_changer(actor)
    if handover.to_institution_id != actor.institution_id:
        raise ValidationError("引継ぎが見つかりません。", code="not_found")
    if not actor.is_supervisor:
        raise PermissionDenied("引継ぎの確認は責任者が行います。")


def _locked_pending(handover: Handover) -> Handover:
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    if not handover.is_pending:
        raise ValidationError("この引継ぎはすでに確認されています。", code="already_decided")
    return handover


def confirm_handover(*, actor, handover: Handover) -> ProtectionCase:
    """The new insurer's 責任者 confirms: her case opens here with the named protections and links."""
    _require_receiving_supervisor(actor, handover)
    with transaction.atomic():
        handover = _locked_pending(handover)
        member = Member.objects.filter(
            insurer_id=actor.institution_id, person_id=handover.person_id, lost_on__isnull=True
        ).first()
        if member is None:
            raise ValidationError("この方は当保険者の被保険者として登録されていません。資格取得を登録してから確認してください。",
                                  code="not_member")
        kinds = set(handover.kinds)
        case = open_protection_case(
            actor=actor, member=member, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
            wants_non_disclosure=SettingKind.NON_DISCLOSURE in kinds, wants_no_self_info=SettingKind.NO_SELF_INFO in kinds,
            no_auto_response_wanted=SettingKind.NO_AUTO_RESPONSE in kinds,
            linked_persons=list(handover.linked_persons.all()),
            reason="他の保険者からの引継ぎ（本人の同意あり）",
        )
        carry_companions(actor=actor, handover=handover, case=case)  # 同伴者 who are our members join the case
        if handover.review_on > timezone.localdate() and handover.review_on != case.review_on:
            set_review_date(actor=actor, case=case, review_on=handover.review_on, reason="引継ぎ元の見直し日")
        handover.state, handover.decided_at, handover.decided_by = HandoverState.CONFIRMED, timezone.now(), actor
        handover.new_case = case
        handover.save(update_fields=["state", "decided_at", "decided_by", "new_case"])
        record(actor=actor, action="handover.confirmed", target=handover, after={"case": case.pk})
        record(actor=None, institution=handover.from_institution, action="handover.outcome", target=handover.from_case,
               after={"handover": handover.pk, "state": handover.get_state_display()})
    return case


def decline_handover(*, actor, handover: Handover, reason: str) -> Handover:
    """The new insurer's 責任者 declines with a reason: nothing is set."""
    _require_receiving_supervisor(actor, handover)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "辞退の理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        handover = _locked_pending(handover)
        handover.state, handover.decided_at, handover.decided_by = HandoverState.DECLINED, timezone.now(), actor
        handover.decline_reason = reason
        handover.save(update_fields=["state", "decided_at", "decided_by", "decline_reason"])
        record(actor=actor, action="handover.declined", target=handover, message=reason)
        record(actor=None, institution=handover.from_institution, action="handover.outcome", target=handover.from_case,
               after={"handover": handover.pk, "state": handover.get_state_display()}, message=reason)
    return handover
