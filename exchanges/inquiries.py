"""情報照会: our insurer asks (send_inquiry, the choke point; renewal ①, fails closed), or a peer institution asks
one of our insurers (receive_inquiry). The batch (exchanges.batch) decides each line with the same check_inquiry and
decide_inquiry.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from audit.services import append as audit_append
from audit.services import entry as audit_entry
from audit.services import record as audit
from exchanges.answering import answer, new_record, set_inquiry_code, snapshot
from exchanges.errors import InquiryNotSent
from exchanges.models import ExchangeRecord, nws_write
from flags import policy
from flags import selectors as flag_selectors
from institutions.access import require_changer
from institutions.models import Department, Institution
from members import catalogue_cache as catalogue
from members.models import InfoItem, Member, Person, Procedure


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
    record = new_record(
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
    set_inquiry_code(record, code, by=actor, linked_cases=sides.linked_cases)
    # The answer is decided before the record is written: one INSERT, never an INSERT then an UPDATE.
    answer(record, sides)
    entries = [audit_entry(actor=actor, action="inquiry.sent", target=record, after=snapshot(record))]
    if request.provider.is_tenant:
        # The other insurer on this server received it: its own trail shows it (and nothing of ours).
        entries.append(audit_entry(
            actor=None, institution=request.provider, action="inquiry.received", target=record,
            after=snapshot(record, for_provider=True), message=f"{actor.institution.name} からの照会",
        ))
    return record, entries


def send_inquiry(*, actor, request: InquiryRequest, savepoint: bool = True) -> ExchangeRecord:
    """情報照会 by our insurer: the only function that sends one (the batch, exchanges.batch, decides each line with
    the same check_inquiry and decide_inquiry).

    Renewal ①: a subject who is our member with 不開示該当フラグ (whole, or the requested item) gets 不開示コード
    automatically; staff may also set it by hand on any inquiry (case ②). If the flag check cannot be completed
    — any database error on the way, including the provider's side of the answer — nothing is sent, nothing is
    half-written, and InquiryNotSent (with its Japanese message) is raised.

    Inside a caller's transaction a savepoint makes the rollback ours, and the caller's transaction usable after
    InquiryNotSent. savepoint=False is for a caller whose transaction ends in a rollback whenever this raises (the
    API's Idempotency-Key transaction): one SAVEPOINT/RELEASE pair less, and the rollback is of the caller's whole
    transaction (Django refuses any further query in it), so still nothing is sent or half-written.
    """
    require_changer(actor)
    try:
        subject = check_inquiry(actor=actor, request=request)
        with transaction.atomic(savepoint=savepoint), nws_write():
            sides = flag_selectors.both_sides(
                inquirer_id=actor.institution_id, provider_id=request.provider.pk, person_id=subject.pk,
                replica_item_id=request.item.pk,
            )
            record, entries = decide_inquiry(actor=actor, request=request, subject=subject, sides=sides)
            record.insert()
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
        record = new_record(
            inquirer=inquirer, department=department, provider=provider, subject=subject, procedure=procedure, item=item
        )
        code = policy.inquiry_code_at_send(
            sides.inquirer, item.code, server=inquirer.server, linked=sides.linked, requested=nondisclosure_code
        )
        set_inquiry_code(record, code, linked_cases=sides.linked_cases)
        answer(record, sides)  # decided before the one INSERT
        record.insert()
        audit(
            actor=None,
            institution=provider if provider.is_tenant else None,
            action="inquiry.received",
            target=record,
            after=snapshot(record),
            message=f"{inquirer.name} からの照会",
        )
    return record
