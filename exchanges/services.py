"""The simulated 情報提供NWS and the one way to send, answer and hide an exchange (the choke point).

- send_inquiry: our insurer asks (情報照会). Applies renewal ① (automatic 不開示コード), fails closed.
- receive_inquiry: a peer institution asks one of our insurers (or any institution asks any other).
- approve_manual_response / decline_manual_response: the 情報提供内容入力画面, rules checked again at approval.
- file_append_request: 追記依頼, a request NWS processes later (exchanges.nws); the record stays shown until then.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.services import append as audit_append
from audit.services import entry as audit_entry
from audit.services import record as audit
from exchanges import ids
from exchanges.models import (
    LIVE_APPEND_STATUSES,
    AppendRequest,
    AppendRequestStatus,
    ExchangeRecord,
    ExchangeState,
    nws_write,
)
from flags import policy
from flags import selectors as flag_selectors
from institutions.access import require_changer
from institutions.models import Department, Institution, Server
from members import catalogue_cache as catalogue
from members.models import InfoItem, Member, Person, Procedure, Replica
from members.selectors import latest_replicas
from nakama.compiled import CompiledQuery
from nakama.wareki import format_wareki


class ExchangeNotSent(Exception):
    """Base of the fail-closed errors: a check could not be completed, so nothing left for NWS."""

    message = "確認ができなかったため、送信しませんでした。時間をおいて再度お試しください。"
    code = "check_failed"

    def __str__(self) -> str:
        return self.message


class InquiryNotSent(ExchangeNotSent):
    """The 不開示該当フラグ check could not be completed, so the inquiry was not sent (fail closed, rule 1)."""

    message = "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。時間をおいて再度お試しください。"
    code = "flag_check_failed"


class ProvisionNotSent(ExchangeNotSent):
    """At approval of a manual response the 不開示該当フラグ check could not be completed: nothing was provided."""

    message = "不開示該当フラグの確認ができなかったため、情報提供を送信しませんでした。時間をおいて再度お試しください。"
    code = "flag_check_failed"


def _check_procedure_allows(procedure: Procedure, item: InfoItem) -> None:
    if not catalogue.allows(procedure, item):
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


# The provider's latest 副本 of an item, compiled once (for the paths whose flag check did not bring it).
_LATEST_REPLICA = CompiledQuery(
    lambda institution, person, item: latest_replicas(institution_id=institution, person_id=person, item_id=item)[:1],
    prepare_as="nakama_latest_replica", institution=int, person=int, item=int,
)


def _latest_replica(*, institution_id: int, person_id: int, item_id: int) -> Replica | None:
    found = _LATEST_REPLICA.objects(institution=institution_id, person=person_id, item=item_id)
    return found[0] if found else None


def _provide(record: ExchangeRecord, *, content, replica, code: policy.CodeSource, code_by=None, by=None) -> None:
    record.state = ExchangeState.PROVIDED
    record.provided_at = timezone.now()
    record.provided_content = content
    record.replica = replica
    record.provision_code = code != policy.CodeSource.NONE
    record.provision_code_source = code.value
    record.provision_code_by = code_by if code == policy.CodeSource.MANUAL else None
    record.responded_by = by


def _answer(record: ExchangeRecord, sides: flag_selectors.BothSides | None = None) -> None:
    """The provider's server answers: automatically from the latest 副本 unless 自動応答不可 applies (別紙1 ③).

    Our insurers and peer insurers alike attach 不開示コード automatically when 不開示該当 applies (別紙1 ①);
    a simulated municipality follows the same provision rule on the 自治体中間サーバー (別添 ① 2/4). An automatic
    answer completes the exchange: both sides' settings decide the codes (別紙1 ※2, see _complete).
    """
    if sides is None:
        sides = _both_sides(record)
    item_code = record.item.code
    if record.provider.is_tenant and not policy.answers_automatically(sides.provider, item_code):
        record.state = ExchangeState.MANUAL
        return
    replica = _replica(record, sides)
    provision = _complete(record, sides, requested=False)
    _provide(record, content=replica.content if replica else None, replica=replica, code=provision)


def _both_sides(record: ExchangeRecord) -> flag_selectors.BothSides:
    return flag_selectors.both_sides(
        inquirer_id=record.inquirer_id, provider_id=record.provider_id, person_id=record.subject_id,
        replica_item_id=record.item_id,
    )


def _replica(record: ExchangeRecord, sides: flag_selectors.BothSides) -> Replica | None:
    """The provider's latest 副本 of the item: read with the settings (same statement) when the check brought it."""
    if sides.replica is not flag_selectors.NOT_READ:
        return sides.replica
    return _latest_replica(institution_id=record.provider_id, person_id=record.subject_id, item_id=record.item_id)


def _set_inquiry_code(record: ExchangeRecord, source: policy.CodeSource, *, by=None, linked_cases=()) -> None:
    """Write the inquiry-side code a policy decision gave. Never removes one: a code once set stays (別紙1 ※2)."""
    if source == policy.CodeSource.NONE or record.inquiry_code:
        return
    record.inquiry_code = True
    record.inquiry_code_source = source.value
    record.inquiry_code_by = by if source == policy.CodeSource.MANUAL else None
    record.inquiry_code_case_id = linked_cases[0] if source == policy.CodeSource.LINKED and linked_cases else None


def _complete(record: ExchangeRecord, sides: flag_selectors.BothSides, *, requested: bool) -> policy.CodeSource:
    """別紙1 ※2 at completion: the inquirer's settings (and links) as read now code the inquiry side if it was not
    coded yet; returns the provider-side code for _provide. The caller holds both settings locks (sides)."""
    codes = policy.codes_at_completion(
        inquirer_settings=sides.inquirer,
        provider_settings=sides.provider,
        item_code=record.item.code,
        inquirer_server=record.inquirer.server,
        linked_for_inquirer=sides.linked,
        inquiry_code=policy.CodeSource(record.inquiry_code_source if record.inquiry_code else ""),
        provision_requested=requested,
    )
    _set_inquiry_code(record, codes.inquiry, linked_cases=sides.linked_cases)
    return codes.provision


def _department_display(inquirer: Institution, department: Department | None) -> str:
    """情報照会者部署名 (renewal ②). An insurer without a department still shows its own name: the display exists
    so that the inquiring insurer is identifiable, and hiding it by omission would misstate the record."""
    if department is not None:
        return department.nws_display_name
    return inquirer.name if inquirer.server == Server.INSURERS else ""


def _new_record(
    *, inquirer: Institution, department: Department | None, provider: Institution, subject: Person,
    procedure: Procedure, item: InfoItem, inquired_by=None,
) -> ExchangeRecord:
    inquired_at = timezone.now()
    return ExchangeRecord(
        id=ids.record_id(inquired_at),  # known before the INSERT: the audit entries name it
        inquirer=inquirer,
        inquirer_department=department,
        provider=provider,
        procedure=procedure,
        item=item,
        subject=subject,
        inquirer_display=inquirer.nws_display_name,
        inquirer_department_display=_department_display(inquirer, department),
        provider_display=provider.nws_display_name,
        inquired_at=inquired_at,
        inquired_by=inquired_by,
    )


def _snapshot(record: ExchangeRecord, *, for_provider: bool = False) -> dict:
    """The record's state for an audit entry. In the provider's own trail the inquiry side is only "coded or not":
    why another insurer coded its inquiry (its flag, its case links) is that insurer's business."""
    snapshot = {
        "state": record.state,
        "inquiry_code": record.inquiry_code,
        "inquiry_code_source": record.inquiry_code_source,
        "provision_code": record.provision_code,
        "provision_code_source": record.provision_code_source,
    }
    if for_provider and record.inquirer.is_tenant:
        del snapshot["inquiry_code_source"]
    return snapshot


@dataclass(frozen=True)
class InquiryRequest:
    """One inquiry as entered by staff or an API client."""

    procedure: Procedure
    item: InfoItem
    provider: Institution
    member: Member | None = None
    sim_id: str | None = None
    nondisclosure_code: bool = False  # 不開示コード set by hand (rule 2: the abuser)


def check_inquiry(*, actor, request: InquiryRequest) -> Person:
    """What an inquiry must satisfy before anything is locked or written; returns its subject (ValidationError
    otherwise). Shared by send_inquiry and the batch (exchanges.batch)."""
    if request.member is not None and (request.sim_id or "").strip():
        raise ValidationError("照会対象者は被保険者か個人識別子のどちらか一方で指定してください。", code="ambiguous_subject")
    if request.provider.pk == actor.institution_id:
        raise ValidationError({"provider": "自保険者に対して情報照会はできません。"}, code="self_inquiry")
    _check_procedure_allows(request.procedure, request.item)
    return resolve_subject(actor=actor, member=request.member, sim_id=request.sim_id)


def decide_inquiry(*, actor, request: InquiryRequest, subject: Person, sides: flag_selectors.BothSides):
    """The record of one inquiry and its audit entries, decided from both sides' settings read under their locks
    (the caller holds them): renewal ① and the links code it, the provider answers (別紙1 ①③, ※2). Nothing is
    written here; the caller saves the record and appends the entries in the same transaction."""
    record = _new_record(
        inquirer=actor.institution,
        department=actor.department,
        provider=request.provider,
        subject=subject,
        procedure=request.procedure,
        item=request.item,
        inquired_by=actor,
    )
    # Automatic (flag) or linked (要注意照会対象) is final: a hand-set request adds nothing, and leaving it out takes
    # nothing away.
    code = policy.inquiry_code_at_send(
        sides.inquirer, request.item.code, server=actor.institution.server, linked=sides.linked,
        requested=request.nondisclosure_code,
    )
    _set_inquiry_code(record, code, by=actor, linked_cases=sides.linked_cases)
    # The answer is decided before the record is written: one INSERT, never an INSERT then an UPDATE.
    _answer(record, sides)
    entries = [audit_entry(actor=actor, action="inquiry.sent", target=record, after=_snapshot(record))]
    if request.provider.is_tenant:
        # The other insurer on this server received it: its own trail shows it (and nothing of ours).
        entries.append(audit_entry(
            actor=None, institution=request.provider, action="inquiry.received", target=record,
            after=_snapshot(record, for_provider=True), message=f"{actor.institution.name} からの照会",
        ))
    return record, entries


def send_inquiry(*, actor, request: InquiryRequest) -> ExchangeRecord:
    """情報照会 by our insurer: the only function that sends one (the batch, exchanges.batch, decides each line with
    the same check_inquiry and decide_inquiry).

    Renewal ①: a subject who is our member with 不開示該当フラグ (whole, or the requested item) gets 不開示コード
    automatically; staff may also set it by hand on any inquiry (case ②). If the flag check cannot be completed
    — any database error on the way, including the provider's side of the answer — nothing is sent, nothing is
    half-written, and InquiryNotSent (with its Japanese message) is raised.
    """
    require_changer(actor)
    try:
        subject = check_inquiry(actor=actor, request=request)
        # The savepoint makes the rollback ours even when a caller already holds a transaction.
        with transaction.atomic(), nws_write():
            sides = flag_selectors.both_sides(
                inquirer_id=actor.institution_id, provider_id=request.provider.pk, person_id=subject.pk,
                replica_item_id=request.item.pk,
            )
            record, entries = decide_inquiry(actor=actor, request=request, subject=subject, sides=sides)
            record.save(force_insert=True)
            # Last statements before commit: the chain lock is held only from here to the commit.
            audit_append(*entries)
    except DatabaseError as exc:
        raise InquiryNotSent() from exc
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
        raise ValidationError("Nakama利用保険者からの照会は send_inquiry で行ってください。", code="tenant_inquirer")
    if department is not None and department.institution_id != inquirer.pk:
        raise ValidationError({"department": "部署は照会機関のものを指定してください。"}, code="foreign_department")
    if inquirer.pk == provider.pk:
        raise ValidationError({"provider": "自機関に対して情報照会はできません。"}, code="self_inquiry")
    _check_procedure_allows(procedure, item)
    if provider.is_tenant and not Member.objects.filter(insurer=provider, person=subject).exists():
        raise ValidationError({"subject": "照会先の保険者にこの個人の被保険者資格がありません。"}, code="not_member")
    with transaction.atomic(), nws_write():
        sides = flag_selectors.both_sides(
            inquirer_id=inquirer.pk, provider_id=provider.pk, person_id=subject.pk, replica_item_id=item.pk
        )
        record = _new_record(
            inquirer=inquirer, department=department, provider=provider, subject=subject, procedure=procedure, item=item
        )
        code = policy.inquiry_code_at_send(
            sides.inquirer, item.code, server=inquirer.server, linked=sides.linked, requested=nondisclosure_code
        )
        _set_inquiry_code(record, code, linked_cases=sides.linked_cases)
        _answer(record, sides)  # decided before the one INSERT
        record.save(force_insert=True)
        audit(
            actor=None,
            institution=provider if provider.is_tenant else None,
            action="inquiry.received",
            target=record,
            after=_snapshot(record),
            message=f"{inquirer.name} からの照会",
        )
    return record


def _locked_queued_record(*, actor, record_id) -> ExchangeRecord:
    """Lock a queued record of the actor's insurer so two approvals cannot both send it.

    of=("self",): lock the record only, not the joined catalogue row (which would serialize every approval of
    that item kind on the whole server).
    """
    record = (
        ExchangeRecord.objects.select_for_update(of=("self",))
        .select_related("item", "provider", "inquirer")
        .by_id(record_id).filter(provider_id=actor.institution_id)
        .first()
    )
    if record is None:
        raise ValidationError("対象の照会が見つかりません。", code="not_found")
    if record.state != ExchangeState.MANUAL:
        raise ValidationError(
            f"この照会はすでに処理されています（状態: {record.get_state_display()}）。", code="already_processed"
        )
    return record


def approve_manual_response(
    *, actor, record: ExchangeRecord, content: dict | None = None, nondisclosure_code: bool = False
) -> ExchangeRecord:
    """送信許可 on the 情報提供内容入力画面: send the (possibly corrected) content.

    The rules are checked again now, on both sides (別紙1 ※2): the provider's 不開示該当 in force at this moment
    attaches 不開示コード automatically, also when it was set while the inquiry waited, and nothing the clerk passes
    removes it; otherwise staff may attach it. The inquirer's 不開示該当 (or link) in force now codes the inquiry
    side "at completion". If that check cannot be completed nothing is sent (ProvisionNotSent).
    """
    require_changer(actor)
    if content is not None and (not isinstance(content, dict) or not content):
        raise ValidationError({"content": "提供内容を入力してください。"}, code="content_required")
    try:
        with transaction.atomic(), nws_write():
            record = _locked_queued_record(actor=actor, record_id=record.pk)
            coded_before = record.inquiry_code
            sides = _both_sides(record)
            code = _complete(record, sides, requested=nondisclosure_code)
            replica = _replica(record, sides)
            original = replica.content if replica else None
            final = content if content is not None else original
            if final is None:
                raise ValidationError(
                    {"content": "登録済みの副本がありません。提供内容を入力してください。"}, code="content_required"
                )
            _provide(record, content=final, replica=replica, code=code, code_by=actor, by=actor)
            record.content_corrected = content is not None and content != original
            record.save()
            audit(
                actor=actor,
                action="manual_response.approved",
                target=record,
                before={"state": ExchangeState.MANUAL, "content": original},
                after={**_snapshot(record, for_provider=True), "content": final,
                       "content_corrected": record.content_corrected},
                message="提供内容を修正して送信" if record.content_corrected else "副本の内容で送信",
            )
            if record.inquiry_code and not coded_before and record.inquirer.is_tenant:
                # 別紙1 ※2: the inquirer's trail says its inquiry was coded at completion, and why.
                audit(
                    actor=None, institution=record.inquirer, action="inquiry.coded_at_completion", target=record,
                    after=_snapshot(record), message=f"{record.provider.name} の送信許可の時点で不開示コードを設定",
                )
    except DatabaseError as exc:
        raise ProvisionNotSent() from exc
    return record


def decline_manual_response(*, actor, record: ExchangeRecord, reason: str) -> ExchangeRecord:
    """提供せず: staff decide not to provide. The record stays incomplete, so it is never shown (別紙1 ※1)."""
    require_changer(actor)
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
        audit(
            actor=actor,
            action="manual_response.declined",
            target=record,
            before={"state": ExchangeState.MANUAL},
            after={"state": record.state},
            message=reason,
        )
    return record


class AppendRequestExists(ValidationError):
    """Filing twice for one record: refused, naming the request already filed (409 in the API)."""

    def __init__(self, existing: AppendRequest):
        label = "依頼中" if existing.is_pending else "処理済"
        super().__init__(
            f"この記録にはすでに追記依頼があります（{label}、"
            f"{format_wareki(timezone.localtime(existing.requested_at))} {timezone.localtime(existing.requested_at):%H:%M}）。",
            code="append_request_exists",
        )
        self.existing = existing


def file_append_request(*, actor, record: ExchangeRecord, reason: str) -> AppendRequest:
    """追記依頼: ask NWS to mark a record in which our insurer took part as 不開示 after the fact (別紙2 §4).

    The request is 依頼中 until NWS processes it (exchanges.nws): the record stays visible in マイナポータル until
    then. For records about our member and about a non-member such as the abuser (case ②). A record in which the
    insurer took no part answers "not found", as any other insurer's data does. One live request per record and
    insurer: a second is refused with the first (AppendRequestExists).
    """
    require_changer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "追記依頼の理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        locked = (ExchangeRecord.objects.select_for_update().filter(pk=record.pk, inquired_at=record.inquired_at)
                  .visible_to(actor).first())
        if locked is None:
            raise ValidationError(
                "対象の記録が見つかりません。追記依頼は自保険者が照会または提供した記録にのみ行えます。", code="not_party"
            )
        existing = AppendRequest.objects.filter(
            record=locked, institution_id=actor.institution_id, status__in=LIVE_APPEND_STATUSES
        ).first()
        if existing is not None:
            raise AppendRequestExists(existing)
        if locked.appended_nondisclosure_at is not None:
            raise ValidationError("この記録にはすでに追記依頼（不開示）が反映されています。", code="already_appended")
        request = AppendRequest.objects.create(
            record=locked,
            institution=actor.institution,
            reason=reason,
            requested_at=timezone.now(),
            requested_by=actor,
            requested_by_name=str(actor),
            status=AppendRequestStatus.PENDING,
        )
        audit(
            actor=actor,
            action="append_request.filed",
            target=locked,
            after={"append_request": str(request.pk), "status": request.status},
            message=reason,
        )
    return request


def register_peer_replica(*, institution: Institution, person: Person, item: InfoItem, content: dict) -> Replica:
    """The simulated data a peer institution (a municipality, a peer insurer) answers our inquiries from."""
    if institution.is_tenant:
        raise ValidationError("Nakama利用保険者の副本は副本登録（members.services）で行ってください。")
    if not isinstance(content, dict) or not content:
        raise ValidationError({"content": "副本の内容を入力してください。"})
    with transaction.atomic():
        replica = Replica.objects.create(
            institution=institution, person=person, item=item, content=content, registered_at=timezone.now()
        )
        audit(actor=None, institution=None, action="peer.replica.registered", target=replica, after={"item": item.code})
    return replica
