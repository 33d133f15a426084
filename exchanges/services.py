"""The simulated 情報提供NWS and the one way to send, answer and hide an exchange (the choke point).

- send_inquiry: our insurer asks (情報照会). Applies renewal ① (automatic 不開示コード), fails closed.
- receive_inquiry: a peer institution asks one of our insurers (or any institution asks any other).
- approve_manual_response / decline_manual_response: the 情報提供内容入力画面, rules checked again at approval.
- file_append_request: 追記依頼, processed by the simulated NWS at once.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.services import record as audit
from exchanges.models import AppendRequest, CodeSource, ExchangeRecord, ExchangeState, nws_write
from flags import policy
from flags import selectors as flag_selectors
from institutions.models import Department, Institution, Role
from members.models import InfoItem, Member, Person, Procedure, Replica


class InquiryNotSent(Exception):
    """The 不開示該当フラグ check could not be completed, so the inquiry was not sent (fail closed)."""

    message = "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。時間をおいて再度お試しください。"
    code = "flag_check_failed"

    def __str__(self) -> str:
        return self.message


def _require_changer(actor) -> None:
    if not getattr(actor, "is_insurer_staff", False) or actor.role not in (Role.CLERK, Role.SUPERVISOR):
        raise PermissionDenied("この操作を行う権限がありません。")


def _check_procedure_allows(procedure: Procedure, item: InfoItem) -> None:
    if not procedure.items.filter(pk=item.pk).exists():
        raise ValidationError(
            {"item": f"事務「{procedure.name}」では特定個人情報「{item.name}」を照会できません。"}, code="item_not_allowed"
        )


def resolve_subject(*, actor, member: Member | None = None, sim_id: str | None = None) -> Person:
    """The person an inquiry is about: one of the actor's members, or a person identifier typed in exactly."""
    if member is not None:
        if member.insurer_id != actor.institution_id:
            raise ValidationError({"member": "被保険者が見つかりません。"}, code="unknown_member")
        return member.person
    sim_id = (sim_id or "").strip().upper()
    if not sim_id:
        raise ValidationError({"sim_id": "照会対象者（被保険者または個人識別子）を指定してください。"}, code="required")
    person = Person.objects.filter(sim_id=sim_id).first()
    if person is None:
        raise ValidationError({"sim_id": "入力された個人識別子に該当する個人が見つかりません。"}, code="unknown_person")
    return person


def _latest_replica(*, institution_id: int, person_id: int, item_id: int) -> Replica | None:
    return (
        Replica.objects.filter(institution_id=institution_id, person_id=person_id, item_id=item_id)
        .order_by("-registered_at", "-id")
        .first()
    )


def _provide(record: ExchangeRecord, *, content, replica, code: policy.CodeSource, code_by=None, by=None) -> None:
    record.state = ExchangeState.PROVIDED
    record.provided_at = timezone.now()
    record.provided_content = content
    record.replica = replica
    record.provision_code = code != policy.CodeSource.NONE
    record.provision_code_source = code.value
    record.provision_code_by = code_by if code == policy.CodeSource.MANUAL else None
    record.responded_by = by


def _answer(record: ExchangeRecord) -> None:
    """The provider's server answers: automatically from the latest 副本 unless 自動応答不可 applies (別紙1 ③).

    Our insurers and peer insurers alike attach 不開示コード automatically when 不開示該当 applies (別紙1 ①);
    a simulated municipality follows the same provision rule on the 自治体中間サーバー (別添 ① 2/4).
    """
    settings = flag_selectors.active_settings(institution_id=record.provider_id, person_id=record.subject_id)
    item_code = record.item.code
    if record.provider.is_tenant and not policy.answers_automatically(settings, item_code):
        record.state = ExchangeState.MANUAL
        return
    replica = _latest_replica(
        institution_id=record.provider_id, person_id=record.subject_id, item_id=record.item_id
    )
    code = policy.CodeSource.AUTO if policy.provision_gets_code(settings, item_code) else policy.CodeSource.NONE
    _provide(record, content=replica.content if replica else None, replica=replica, code=code)


def _new_record(
    *, inquirer: Institution, department: Department | None, provider: Institution, subject: Person,
    procedure: Procedure, item: InfoItem, inquired_by=None,
) -> ExchangeRecord:
    return ExchangeRecord(
        inquirer=inquirer,
        inquirer_department=department,
        provider=provider,
        procedure=procedure,
        item=item,
        subject=subject,
        inquirer_display=inquirer.nws_display_name,
        inquirer_department_display=department.nws_display_name if department else "",
        provider_display=provider.nws_display_name,
        inquired_at=timezone.now(),
        inquired_by=inquired_by,
    )


@dataclass(frozen=True)
class InquiryRequest:
    """One inquiry as entered by staff or an API client."""

    procedure: Procedure
    item: InfoItem
    provider: Institution
    member: Member | None = None
    sim_id: str | None = None
    nondisclosure_code: bool = False  # 不開示コード set by hand (rule 2: the abuser)


def send_inquiry(*, actor, request: InquiryRequest) -> ExchangeRecord:
    """情報照会 by our insurer: the only function that sends one.

    Renewal ①: a subject who is our member with 不開示該当フラグ (whole, or the requested item) gets 不開示コード
    automatically; staff may also set it by hand on any inquiry (case ②). If the flag check cannot be completed,
    nothing is sent and InquiryNotSent is raised.
    """
    _require_changer(actor)
    if request.provider.pk == actor.institution_id:
        raise ValidationError({"provider": "自保険者に対して情報照会はできません。"}, code="self_inquiry")
    _check_procedure_allows(request.procedure, request.item)
    subject = resolve_subject(actor=actor, member=request.member, sim_id=request.sim_id)
    with transaction.atomic(), nws_write():
        try:
            with transaction.atomic():
                settings = flag_selectors.active_settings(institution_id=actor.institution_id, person_id=subject.pk)
        except DatabaseError as exc:
            raise InquiryNotSent() from exc
        record = _new_record(
            inquirer=actor.institution,
            department=actor.department,
            provider=request.provider,
            subject=subject,
            procedure=request.procedure,
            item=request.item,
            inquired_by=actor,
        )
        if policy.inquiry_gets_code(settings, request.item.code, server=actor.institution.server):
            record.inquiry_code, record.inquiry_code_source = True, CodeSource.AUTO
        elif request.nondisclosure_code:
            record.inquiry_code, record.inquiry_code_source, record.inquiry_code_by = True, CodeSource.MANUAL, actor
        record.save()
        audit(
            actor=actor,
            action="inquiry.sent",
            target=record,
            after={"inquiry_code": record.inquiry_code, "inquiry_code_source": record.inquiry_code_source},
        )
        _answer(record)
        record.save()
    return record


def receive_inquiry(
    *,
    inquirer: Institution,
    department: Department | None,
    provider: Institution,
    subject: Person,
    procedure: Procedure,
    item: InfoItem,
    nondisclosure_code: bool = False,
) -> ExchangeRecord:
    """A peer institution (simulated municipality or insurer) sends an inquiry through NWS.

    Its own server's rule decides the inquiry-side code: automatic on the insurers' server, never on the
    自治体中間サーバー (別添 ① 2/4). Our insurer then answers automatically or queues it for a manual response.
    """
    if inquirer.is_tenant:
        raise ValidationError("Nakama利用保険者からの照会は send_inquiry で行ってください。")
    if department is not None and department.institution_id != inquirer.pk:
        raise ValidationError({"department": "部署は照会機関のものを指定してください。"})
    if inquirer.pk == provider.pk:
        raise ValidationError({"provider": "自機関に対して情報照会はできません。"})
    _check_procedure_allows(procedure, item)
    if provider.is_tenant and not Member.objects.filter(insurer=provider, person=subject).exists():
        raise ValidationError({"subject": "照会先の保険者にこの個人の被保険者資格がありません。"}, code="not_member")
    with transaction.atomic(), nws_write():
        peer_settings = flag_selectors.active_settings(institution_id=inquirer.pk, person_id=subject.pk)
        record = _new_record(
            inquirer=inquirer, department=department, provider=provider, subject=subject, procedure=procedure, item=item
        )
        if policy.inquiry_gets_code(peer_settings, item.code, server=inquirer.server):
            record.inquiry_code, record.inquiry_code_source = True, CodeSource.AUTO
        elif nondisclosure_code:
            record.inquiry_code, record.inquiry_code_source = True, CodeSource.MANUAL
        record.save()
        _answer(record)
        record.save()
        audit(
            actor=None,
            institution=provider if provider.is_tenant else None,
            action="inquiry.received",
            target=record,
            after={"state": record.state, "inquiry_code": record.inquiry_code, "provision_code": record.provision_code},
            message=f"{inquirer.name} からの照会",
        )
    return record


def _locked_queued_record(*, actor, record_id) -> ExchangeRecord:
    """Lock a queued record of the actor's insurer so two approvals cannot both send it."""
    record = (
        ExchangeRecord.objects.select_for_update()
        .select_related("item")
        .filter(pk=record_id, provider_id=actor.institution_id)
        .first()
    )
    if record is None:
        raise ValidationError("対象の照会が見つかりません。", code="not_found")
    if record.state != ExchangeState.MANUAL:
        raise ValidationError(
            f"この照会はすでに処理されています（状態: {record.get_state_display()}）。", code="already_answered"
        )
    return record


def approve_manual_response(
    *, actor, record: ExchangeRecord, content: dict | None = None, nondisclosure_code: bool = False
) -> ExchangeRecord:
    """送信許可 on the 情報提供内容入力画面: send the (possibly corrected) content.

    The rules are checked again now (別紙1 ※2): 不開示該当 in force at this moment attaches 不開示コード
    automatically, also when it was set while the inquiry waited; otherwise staff may attach it.
    """
    _require_changer(actor)
    with transaction.atomic(), nws_write():
        record = _locked_queued_record(actor=actor, record_id=record.pk)
        settings = flag_selectors.active_settings(institution_id=record.provider_id, person_id=record.subject_id)
        code = policy.approval_code(settings, record.item.code, requested=nondisclosure_code)
        replica = _latest_replica(
            institution_id=record.provider_id, person_id=record.subject_id, item_id=record.item_id
        )
        original = replica.content if replica else None
        final = content if content is not None else original
        _provide(record, content=final, replica=replica, code=code, code_by=actor, by=actor)
        record.content_corrected = content is not None and content != original
        record.save()
        audit(
            actor=actor,
            action="manual_response.approved",
            target=record,
            before={"content": original},
            after={"content": final, "provision_code": record.provision_code, "source": record.provision_code_source},
        )
    return record


def decline_manual_response(*, actor, record: ExchangeRecord, reason: str) -> ExchangeRecord:
    """提供せず: staff decide not to provide."""
    _require_changer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "提供しない理由を入力してください。"}, code="reason_required")
    with transaction.atomic(), nws_write():
        record = _locked_queued_record(actor=actor, record_id=record.pk)
        record.state = ExchangeState.DECLINED
        record.responded_by = actor
        record.decline_reason = reason
        record.provided_at = None
        record.save()
        audit(actor=actor, action="manual_response.declined", target=record, message=reason)
    return record


def file_append_request(*, actor, record: ExchangeRecord, reason: str) -> AppendRequest:
    """追記依頼: mark a record in which our insurer took part as 不開示 after the fact; NWS applies it at once."""
    _require_changer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "追記依頼の理由を入力してください。"}, code="reason_required")
    with transaction.atomic(), nws_write():
        locked = ExchangeRecord.objects.select_for_update().filter(pk=record.pk).visible_to(actor).first()
        if locked is None:
            raise ValidationError("自保険者が関与していない記録には追記依頼できません。", code="not_party")
        now = timezone.now()
        request = AppendRequest.objects.create(
            record=locked,
            institution=actor.institution,
            reason=reason,
            requested_at=now,
            requested_by=actor,
            requested_by_name=str(actor),
            processed_at=now,
        )
        if locked.appended_nondisclosure_at is None:
            locked.appended_nondisclosure_at = now
            locked.save(update_fields=["appended_nondisclosure_at"])
        audit(actor=actor, action="append_request.filed", target=locked, message=reason)
    return request
