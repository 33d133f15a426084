"""引継ぎ (issue 11 point 3, issue 17 points 1–2): a protected member leaves for another insurer on the same server.

The old insurer offers a handover with her consent. From that moment the new insurer protects her the instant she is
(or becomes) its member: the offer itself (she is already a member) or her 加入 (members.enrolment hook, in the
enrolment's transaction) opens a case there with the offered protections and linked persons — 引継ぎによる仮設定,
written by the same writes as any setting and link (flags.services.write_setting, flags.links.write_link). Case ①/②,
申出の有無, the dated カード停止等手続 checklist and the review date travel, so the new insurer's card-procedure gate
sees them. The new insurer's 責任者 then confirms (the provisional case becomes its case) or declines: a decline
never removes protection, which stays in force until cleared through the normal four-eyes clearing. Each side's
audit trail records its side; the new insurer sees only what the offer names, never the old insurer's case,
records, audit or staff names.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.services import append, entry, record
from flags.family import carry_companions, offer_companions, protect_offered_companions
from flags.links import write_link
from flags.models import CaseLinkedPerson, CaseStaff, Handover, HandoverState, ProtectionCase, SettingSource
from flags.policy import SETTING_LABELS, SettingKind
from flags.selectors import lock_person_settings, lock_persons_settings, whole_member_kinds
from flags.setting_changes import write_setting
from institutions.access import require_changer, require_independent_approver
from institutions.models import Institution
from members.models import Member

CASE_KINDS = (SettingKind.NON_DISCLOSURE, SettingKind.NO_SELF_INFO, SettingKind.NO_AUTO_RESPONSE)
PROVISIONAL_REASON = "引継ぎによる仮設定"
PENDING_LABEL = "引継ぎ確認待ち"
# her / an offered linked person / an offered 同伴者, in pending_handover_persons
SUBJECT, LINKED, COMPANION = "subject", "linked", "companion"
# What of the old case travels (issue 17 point 2); nothing else of it reaches the new insurer.
CARRIED_FIELDS = (
    "requested_by_person", "need_evident", "request_date", "case_card_or_proxy", "case_inquiry_about_abuser",
    "card_suspension_advised_on", "card_suspension_confirmed_on", "card_suspension_not_applicable",
    "card_suspension_not_applicable_reason", "proxy_cancel_advised_on",
    "proxy_cancel_confirmed_on", "number_change_advised_on", "number_change_confirmed_on",
)


def handover_kinds(case: ProtectionCase) -> list[str]:
    """The whole-member protections in force on the case's member, in a fixed order."""
    active = whole_member_kinds(case.member_id)
    return [kind.value for kind in CASE_KINDS if kind.value in active]


def offer_handover(*, actor, case: ProtectionCase, to_institution: Institution, consent_on: datetime.date) -> Handover:
    """The old insurer offers a handover: her 資格喪失 is recorded and she joins `to_institution` (a Nakama insurer).
    If she is already its member, the protections apply there in this transaction (引継ぎによる仮設定)."""
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
            offered_at=timezone.now(), offered_by=actor, **{name: getattr(case, name) for name in CARRIED_FIELDS},
        )
        handover.linked_persons.set([link.person_id for link in case.linked_persons.filter(removed_at__isnull=True)])
        offer_companions(handover=handover, case=case)  # 同伴者 travel with her (flags.family)
        # The same lock a 加入's hook takes before it looks for handovers: an offer and a concurrent 加入 cannot
        # both miss each other (each reads after the other committed). Taken before any audit entry: an inquiry
        # takes a person's lock, then its insurer's chain lock; so does every act here (no circle).
        lock_person_settings(institution_id=to_institution.pk, person_id=handover.person_id)
        member = _active_member(institution_id=to_institution.pk, person_id=handover.person_id)
        if member is not None:  # she is already the new insurer's member: protected from this moment
            _apply_provisionally(handover=handover, member=member)
        else:  # a 同伴者 already the new insurer's member is protected now; she joins later
            protect_offered_companions(handover=handover, case=None)
        # Both trails in one append, in chain order (audit.services.append): the new insurer's entry names the
        # world, no one of the old insurer's staff.
        append(
            entry(actor=actor, action="handover.offered", target=case,
                  after={"handover": handover.pk, "to": to_institution.name,
                         "kinds": "、".join(kinds_labels(handover)), "consent_on": consent_on.isoformat()}),
            entry(actor=None, institution=to_institution, action="handover.received", target=handover,
                  after={"from": case.institution.name, "kinds": "、".join(kinds_labels(handover))}),
        )
    return handover


def _active_member(*, institution_id: int, person_id: int) -> Member | None:
    return (Member.objects.filter(insurer_id=institution_id, person_id=person_id, lost_on__isnull=True)
            .order_by("-acquired_on", "-pk").first())


def protect_on_enrolment(*, actor, member: Member) -> None:
    """members.enrolment hook, inside every 加入's transaction: a pending handover to this insurer for this person
    applies now. `actor` (the enrolling staff member, or none) is on the 加入's own audit entry; the provisional
    settings are the system's, recorded as 引継ぎによる仮設定 in the insurer's trail."""
    lock_person_settings(institution_id=member.insurer_id, person_id=member.person_id)  # see offer_handover
    pending = (Handover.objects.select_for_update()
               .filter(to_institution_id=member.insurer_id, person_id=member.person_id, state=HandoverState.PENDING,
                       new_case__isnull=True).order_by("offered_at", "pk"))
    for handover in pending:
        case = _apply_provisionally(handover=handover, member=member)
        _enrolling_clerk_in_charge(actor=actor, case=case)
    # A 同伴者 an offer names (a child who fled with her), enrolled before or after her: protected now too, and on
    # her case if it is open here (a confirmed handover's case as well: the child may enrol after the decision).
    naming = (Handover.objects.select_for_update(of=("self",))
              .filter(to_institution_id=member.insurer_id, companions__person_id=member.person_id)
              .filter(Q(state=HandoverState.PENDING)
                      | Q(state=HandoverState.CONFIRMED, new_case__closed_at__isnull=True))
              .order_by("offered_at", "pk"))  # one row a handover: a person is offered once (one_handover_companion)
    for handover in naming:
        protect_offered_companions(handover=handover, case=handover.new_case, person_ids=[member.person_id])


def _enrolling_clerk_in_charge(*, actor, case: ProtectionCase) -> None:
    """The staff member who registered her 加入 is 担当 of the provisional case (issue 17 ⑥: the registering clerk
    by default); everyone else at the new insurer gives a reason before seeing her, as for any case."""
    from flags.access_log import in_charge_ids

    if getattr(actor, "institution_id", None) != case.institution_id or actor.pk in in_charge_ids(case):
        return
    CaseStaff.objects.create(case=case, institution_id=case.institution_id, staff=actor, added_at=timezone.now(),
                             added_by_name=PROVISIONAL_REASON)
    record(actor=None, institution=case.institution, action="case.staff_added", target=case,
           after={"staff": actor.pk, "name": str(actor)}, message="加入を登録した職員（引継ぎによる仮設定）")


def _apply_provisionally(*, handover: Handover, member: Member) -> ProtectionCase:
    """Open (or reuse) her case at the new insurer with what the offer carries, link the offered persons and set
    the offered protections, all by the system (actor none) in the caller's transaction."""
    # Every person the act touches here, before its first audit entry (see lock_persons_settings).
    lock_persons_settings(institution_id=member.insurer_id, person_ids=[
        member.person_id, *handover.linked_persons.values_list("pk", flat=True),
        *handover.companions.values_list("person_id", flat=True)])
    Member.objects.select_for_update().filter(pk=member.pk).first()  # one open case per member, as at registration
    case = ProtectionCase.objects.filter(member=member, closed_at__isnull=True).first()
    if case is None:
        case = ProtectionCase(
            institution_id=member.insurer_id, member=member, victim_confirmed=True, fled_confirmed=True,
            no_auto_response_wanted=SettingKind.NO_AUTO_RESPONSE in handover.kinds,
            opened_at=timezone.now(), opened_by=None, review_on=handover.review_on,
            notes="他の保険者からの引継ぎ（本人の同意あり）", **{name: getattr(handover, name) for name in CARRIED_FIELDS},
        )
        case.full_clean(exclude=["opened_by"])  # opened by the system, not by one of its staff
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError:  # a registration raced us: protect through the case it opened
            case = ProtectionCase.objects.get(member=member, closed_at__isnull=True)
        else:
            record(actor=None, institution=member.insurer, action="case.opened", target=case,
                   after={"review_on": str(case.review_on), "handover": handover.pk}, message=PROVISIONAL_REASON)
    elif handover.case_card_or_proxy and not case.case_card_or_proxy:
        # Her own case here already: case ① and its dated checklist join it, so the card-procedure gate holds.
        case.case_card_or_proxy = True
        for name in CARRIED_FIELDS:
            if name.endswith("_on") and getattr(case, name) is None:
                setattr(case, name, getattr(handover, name))
        if handover.card_suspension_not_applicable and case.card_suspension_advised_on is None \
                and case.card_suspension_confirmed_on is None:  # 「対象外」 only where no suspension is recorded here
            case.card_suspension_not_applicable = True
            case.card_suspension_not_applicable_reason = handover.card_suspension_not_applicable_reason
        case.save()
        record(actor=None, institution=member.insurer, action="case.checklist_updated", target=case,
               after={"case_card_or_proxy": True, "handover": handover.pk}, message=PROVISIONAL_REASON)
    linked = set(CaseLinkedPerson.objects.in_force().filter(case=case).values_list("person_id", flat=True))
    for person in handover.linked_persons.all():
        if person.pk not in linked and person.pk != member.person_id:
            write_link(actor=None, case=case, person=person, reason=PROVISIONAL_REASON)
    active = whole_member_kinds(member.pk)
    for kind in handover.kinds:
        if kind not in active:
            write_setting(actor=None, member=member, kind=SettingKind(kind), reason=PROVISIONAL_REASON, item=None,
                          source=SettingSource.HANDOVER, case=case)
    handover.new_case = case
    handover.save(update_fields=["new_case"])
    protect_offered_companions(handover=handover, case=case)  # the 同伴者 who are (already) our members join her case
    record(actor=None, institution=member.insurer, action="handover.provisional", target=handover,
           after={"case": case.pk, "member": member.branch_number, "kinds": "、".join(kinds_labels(handover))},
           message=PROVISIONAL_REASON)
    return case


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


def pending_handover_persons(user, person_ids) -> dict[int, str]:
    """Of these persons, those a handover still waiting for the user's insurer's decision names, each with its role
    in it: SUBJECT (her), COMPANION (an offered 同伴者) or LINKED (an offered linked person). Every screen of the new
    insurer that shows one says 引継ぎ確認待ち. Three queries, whatever the number of persons."""
    person_ids = {pk for pk in person_ids if pk}
    if not getattr(user, "institution_id", None) or not person_ids:
        return {}
    pending = Handover.objects.filter(to_institution_id=user.institution_id, state=HandoverState.PENDING)
    found = dict.fromkeys(
        pending.filter(linked_persons__in=person_ids).values_list("linked_persons", flat=True), LINKED)
    found.update(dict.fromkeys(pending.filter(companions__person_id__in=person_ids)
                               .values_list("companions__person_id", flat=True), COMPANION))
    found.update(dict.fromkeys(pending.filter(person_id__in=person_ids).values_list("person_id", flat=True), SUBJECT))
    return {pk: role for pk, role in found.items() if pk in person_ids}


def pending_handover_of_case(case: ProtectionCase) -> Handover | None:
    """The handover waiting for a decision that opened (or feeds) this case provisionally, if any."""
    return Handover.objects.filter(new_case=case, state=HandoverState.PENDING).first()


def kinds_labels(handover: Handover) -> list[str]:
    return [SETTING_LABELS[SettingKind(kind)] for kind in handover.kinds]


def _require_receiving_supervisor(actor, handover: Handover) -> None:
    require_changer(actor)
    if handover.to_institution_id != actor.institution_id:
        raise ValidationError("引継ぎが見つかりません。", code="not_found")
    if not actor.is_supervisor:
        raise PermissionDenied("引継ぎの確認は責任者が行います。")
    # A handover decision is four eyes too: the one rule by provenance (institutions.access).
    require_independent_approver(actor, requested_by=handover.offered_by_id, requested_at=handover.offered_at)


def _locked_pending(handover: Handover) -> Handover:
    handover = Handover.objects.select_for_update().get(pk=handover.pk)
    if not handover.is_pending:
        raise ValidationError("この引継ぎはすでに確認されています。", code="already_decided")
    return handover


def confirm_handover(*, actor, handover: Handover) -> ProtectionCase:
    """The new insurer's 責任者 confirms: the provisional case (opened when she joined) becomes its case."""
    _require_receiving_supervisor(actor, handover)
    with transaction.atomic():
        handover = _locked_pending(handover)
        if handover.new_case_id is None:
            member = _active_member(institution_id=actor.institution_id, person_id=handover.person_id)
            if member is None:
                raise ValidationError(
                    "この方は当保険者の被保険者として登録されていません。加入を登録すると、その時点で引き継いだ保護が"
                    "仮設定されます。加入の登録後に確認してください。", code="not_member")
            _apply_provisionally(handover=handover, member=member)
        # 同伴者 who are our members join the case (flags.family)
        carry_companions(actor=actor, handover=handover, case=ProtectionCase.objects.get(pk=handover.new_case_id))
        handover.state, handover.decided_at, handover.decided_by = HandoverState.CONFIRMED, timezone.now(), actor
        handover.save(update_fields=["state", "decided_at", "decided_by"])
        append(  # both trails, in chain order (see offer_handover)
            entry(actor=actor, action="handover.confirmed", target=handover, after={"case": handover.new_case_id}),
            entry(actor=None, institution=handover.from_institution, action="handover.outcome",
                  target=handover.from_case, after={"handover": handover.pk, "state": handover.get_state_display()}),
        )
    return ProtectionCase.objects.get(pk=handover.new_case_id)


def decline_handover(*, actor, handover: Handover, reason: str) -> Handover:
    """The new insurer's 責任者 declines with a reason. A protection already applied (引継ぎによる仮設定) stays in
    force: removing it is never a side effect, only the normal four-eyes clearing."""
    _require_receiving_supervisor(actor, handover)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "辞退の理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        handover = _locked_pending(handover)
        handover.state, handover.decided_at, handover.decided_by = HandoverState.DECLINED, timezone.now(), actor
        handover.decline_reason = reason
        handover.save(update_fields=["state", "decided_at", "decided_by", "decline_reason"])
        append(  # both trails, in chain order (see offer_handover)
            entry(actor=actor, action="handover.declined", target=handover, message=reason,
                  after={"case": handover.new_case_id, "protection_kept": handover.new_case_id is not None}),
            entry(actor=None, institution=handover.from_institution, action="handover.outcome",
                  target=handover.from_case, after={"handover": handover.pk, "state": handover.get_state_display()},
                  message=reason),
        )
    return handover
