"""Setting a protection (不開示該当・自己情報提供不可・自動応答不可) on a member, and a simulated municipality's own
setting; the snapshot and the marking a clearing writes (the four-eyes decision itself is in flags.services).

Each act runs in one transaction: role and insurer, validate, save, audit entry.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from flags.models import ProtectionCase, Setting, SettingSource
from flags.policy import SETTING_LABELS, SettingKind
from flags.selectors import lock_person_settings
from institutions.access import require_changer
from institutions.models import Institution
from members.models import InfoItem, Member, Person


def require_own_member(actor, member: Member) -> None:
    if member.insurer_id != actor.institution_id:
        raise ValidationError("他の保険者の被保険者には設定できません。", code="other_insurer")


def setting_snapshot(setting: Setting) -> dict:
    return {
        "kind": setting.kind,
        "scope": setting.scope_label,
        "state": setting.state_label,
        "member": setting.member.branch_number if setting.member_id else None,
    }


def set_setting(
    *,
    actor,
    member: Member,
    kind: SettingKind | str,
    reason: str,
    item: InfoItem | None = None,
    source: str = SettingSource.CONSOLE,
    case: ProtectionCase | None = None,
) -> Setting:
    """Set 不開示該当 / 自己情報提供不可 / 自動応答不可 on one of the actor's members, whole or for one item kind."""
    require_changer(actor)
    require_own_member(actor, member)
    try:
        kind = SettingKind(kind)
    except ValueError:
        raise ValidationError({"kind": "設定種別が正しくありません。"}, code="invalid_kind") from None
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "設定理由を入力してください。"}, code="reason_required")
    return write_setting(actor=actor, member=member, kind=kind, reason=reason, item=item, source=source, case=case)


def write_setting(
    *, actor, member: Member, kind: SettingKind, reason: str, item: InfoItem | None, source: str,
    case: ProtectionCase | None,
) -> Setting:
    """The write of set_setting, after its checks: lock, refuse a duplicate, save, audit. Called directly only by
    flags.handover, whose actor may be none (引継ぎによる仮設定 made by the system when she joins)."""
    with transaction.atomic():
        lock_person_settings(institution_id=member.insurer_id, person_id=member.person_id)
        if Setting.objects.active().filter(member=member, kind=kind, item=item).exists():
            scope = item.name if item else "全体"
            raise ValidationError(f"{SETTING_LABELS[kind]}（{scope}）はすでに設定されています。", code="duplicate")
        setting = Setting(
            institution_id=member.insurer_id,
            member=member,
            person_id=member.person_id,
            kind=kind,
            item=item,
            source=source,
            case=case,
            reason=reason,
            set_at=timezone.now(),
            set_by=actor,
            set_by_name=str(actor) if actor is not None else SettingSource(source).label,
        )
        setting.full_clean()
        try:
            with transaction.atomic():
                setting.save()
        except IntegrityError:
            raise ValidationError(f"{SETTING_LABELS[kind]}はすでに設定されています。", code="duplicate") from None
        record(
            actor=actor,
            institution=member.insurer if actor is None else None,  # the system's act is still the insurer's
            action="setting.set",
            target=setting,
            after=setting_snapshot(setting),
            message=reason,
        )
    return setting


def mark_cleared(setting: Setting, *, approver, requester, requester_name: str, reason: str, now) -> None:
    """解除者 is the approving supervisor; the requester is kept beside it."""
    setting.cleared_at = now
    setting.cleared_by = approver
    setting.cleared_by_name = str(approver)
    setting.clear_requested_by = requester
    setting.clear_requested_by_name = requester_name
    setting.clear_reason = reason
    setting.save(update_fields=[
        "cleared_at", "cleared_by", "cleared_by_name", "clear_requested_by", "clear_requested_by_name", "clear_reason",
    ])


def set_peer_setting(
    *, institution: Institution, person: Person, kind: SettingKind | str, reason: str, item: InfoItem | None = None
) -> Setting:
    """A simulated municipality sets its own flag on a resident (peer behaviour; no staff of ours involved)."""
    if institution.is_tenant:
        raise ValidationError("Nakama利用保険者の設定は set_setting で行ってください。")
    kind = SettingKind(kind)
    with transaction.atomic():
        lock_person_settings(institution_id=institution.pk, person_id=person.pk)
        existing = Setting.objects.active().filter(institution=institution, person=person, kind=kind, item=item).first()
        if existing:
            return existing
        setting = Setting.objects.create(
            institution=institution,
            person=person,
            kind=kind,
            item=item,
            source=SettingSource.PEER,
            reason=reason or "自治体による設定",
            set_at=timezone.now(),
            set_by_name=institution.name,
        )
        record(actor=None, institution=None, action="peer.setting.set", target=setting, message=reason)
    return setting
