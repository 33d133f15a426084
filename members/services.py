"""Writes of members (加入・資格喪失) and 副本 registration, each in one transaction with its audit entry."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from institutions.access import require_changer
from members.enrolment import run_enrolment_hooks
from members.locks import lock_person_settings
from members.models import InfoItem, Member, Person, Replica


def enrol_member(
    *,
    actor,
    person: Person,
    branch_number: str,
    name: str,
    kana: str,
    birth_date: datetime.date,
    acquired_on: datetime.date,
    symbol_number: str = "",
) -> Member:
    """加入: make a person a member of the actor's insurer. A protection another insurer handed over for her applies
    in the same transaction (members.enrolment: 引継ぎによる仮設定)."""
    require_changer(actor)
    member = Member(
        insurer_id=actor.institution_id,
        branch_number=branch_number,
        person=person,
        name=name,
        kana=kana,
        birth_date=birth_date,
        symbol_number=symbol_number,
        acquired_on=acquired_on,
    )
    with transaction.atomic():
        member.full_clean()
        member.save()
        # Her lock before the trail's (members.locks): a handover offered at this moment waits for us, or we for it.
        lock_person_settings(institution_id=member.insurer_id, person_id=member.person_id)
        record(actor=actor, action="member.enrolled", target=member)
        run_enrolment_hooks(actor=actor, member=member)
    return member


def record_loss(*, actor, member: Member, lost_on: datetime.date) -> Member:
    """資格喪失: record the date membership ended."""
    require_changer(actor)
    if member.insurer_id != actor.institution_id:
        raise ValidationError("被保険者が見つかりません。", code="not_found")
    if lost_on < member.acquired_on:
        raise ValidationError({"lost_on": "資格喪失日は資格取得日より後の日付にしてください。"})
    with transaction.atomic():
        before = {"lost_on": member.lost_on.isoformat() if member.lost_on else None}
        member.lost_on = lost_on
        member.save(update_fields=["lost_on"])
        record(actor=actor, action="member.lost", target=member, before=before, after={"lost_on": lost_on.isoformat()})
    return member


def register_replica(*, actor, member: Member, item: InfoItem, content: dict, registered_at=None) -> Replica:
    """副本登録: a new registration of one item kind for one member; earlier ones stay as history."""
    require_changer(actor)
    if member.insurer_id != actor.institution_id:
        raise ValidationError("被保険者が見つかりません。", code="not_found")
    if not isinstance(content, dict) or not content:
        raise ValidationError({"content": "副本の内容を入力してください。"})
    with transaction.atomic():
        replica = Replica.objects.create(
            institution_id=member.insurer_id,
            person_id=member.person_id,
            member=member,
            item=item,
            content=content,
            registered_at=registered_at or timezone.now(),
            registered_by=actor,
        )
        record(actor=actor, action="replica.registered", target=member, after={"item": item.code})
    return replica
