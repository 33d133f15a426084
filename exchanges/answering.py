"""An exchange record being decided: built for an inquiry, coded by both sides' settings, answered by the provider's
server (別紙1 ①③, ※2). Nothing here writes; the services that call it (exchanges.inquiries, exchanges.manual_responses)
save the record and its audit entries in their transaction, under the settings locks they hold.
"""

from django.utils import timezone

from exchanges import ids
from exchanges.models import ExchangeRecord, ExchangeState
from flags import policy
from flags import selectors as flag_selectors
from institutions.models import Department, Institution, Server
from members.models import InfoItem, Person, Procedure, Replica
from members.selectors import latest_replicas
from nakama.compiled import CompiledQuery

# The provider's latest 副本 of an item, compiled once (for the paths whose flag check did not bring it).
_LATEST_REPLICA = CompiledQuery(
    lambda institution, person, item: latest_replicas(institution_id=institution, person_id=person, item_id=item)[:1],
    prepare_as="nakama_latest_replica", institution=int, person=int, item=int,
)


def latest_replica(*, institution_id: int, person_id: int, item_id: int) -> Replica | None:
    found = _LATEST_REPLICA.objects(institution=institution_id, person=person_id, item=item_id)
    return found[0] if found else None


def provide(record: ExchangeRecord, *, content, replica, code: policy.CodeSource, code_by=None, by=None) -> None:
    record.state = ExchangeState.PROVIDED
    record.provided_at = timezone.now()
    record.provided_content = content
    record.replica = replica
    record.provision_code = code != policy.CodeSource.NONE
    record.provision_code_source = code.value
    record.provision_code_by = code_by if code == policy.CodeSource.MANUAL else None
    record.responded_by = by


def answer(record: ExchangeRecord, sides: flag_selectors.BothSides | None = None) -> None:
    """The provider's server answers: automatically from the latest 副本 unless 自動応答不可 applies (別紙1 ③).

    Our insurers and peer insurers alike attach 不開示コード automatically when 不開示該当 applies (別紙1 ①);
    a simulated municipality follows the same provision rule on the 自治体中間サーバー (別添 ① 2/4). An automatic
    answer completes the exchange: both sides' settings decide the codes (別紙1 ※2, see complete_codes).
    """
    if sides is None:
        sides = both_sides_of(record)
    item_code = record.item.code
    if record.provider.is_tenant and not policy.answers_automatically(sides.provider, item_code):
        record.state = ExchangeState.MANUAL
        return
    replica = provider_replica(record, sides)
    provision = complete_codes(record, sides, requested=False)
    provide(record, content=replica.content if replica else None, replica=replica, code=provision)


def both_sides_of(record: ExchangeRecord) -> flag_selectors.BothSides:
    return flag_selectors.both_sides(
        inquirer_id=record.inquirer_id, provider_id=record.provider_id, person_id=record.subject_id,
        replica_item_id=record.item_id,
    )


def provider_replica(record: ExchangeRecord, sides: flag_selectors.BothSides) -> Replica | None:
    """The provider's latest 副本 of the item: read with the settings (same statement) when the check brought it."""
    if sides.replica is not flag_selectors.NOT_READ:
        return sides.replica
    return latest_replica(institution_id=record.provider_id, person_id=record.subject_id, item_id=record.item_id)


def set_inquiry_code(record: ExchangeRecord, source: policy.CodeSource, *, by=None, linked_cases=()) -> None:
    """Write the inquiry-side code a policy decision gave. Never removes one: a code once set stays (別紙1 ※2)."""
    if source == policy.CodeSource.NONE or record.inquiry_code:
        return
    record.inquiry_code = True
    record.inquiry_code_source = source.value
    record.inquiry_code_by = by if source == policy.CodeSource.MANUAL else None
    record.inquiry_code_case_id = linked_cases[0] if source == policy.CodeSource.LINKED and linked_cases else None


def complete_codes(record: ExchangeRecord, sides: flag_selectors.BothSides, *, requested: bool) -> policy.CodeSource:
    """別紙1 ※2 at completion: the inquirer's settings (and links) as read now code the inquiry side if it was not
    coded yet; returns the provider-side code for provide. The caller holds both settings locks (sides)."""
    codes = policy.codes_at_completion(
        inquirer_settings=sides.inquirer,
        provider_settings=sides.provider,
        item_code=record.item.code,
        inquirer_server=record.inquirer.server,
        linked_for_inquirer=sides.linked,
        inquiry_code=policy.CodeSource(record.inquiry_code_source if record.inquiry_code else ""),
        provision_requested=requested,
    )
    set_inquiry_code(record, codes.inquiry, linked_cases=sides.linked_cases)
    return codes.provision


def department_display(inquirer: Institution, department: Department | None) -> str:
    """情報照会者部署名 (renewal ②). An insurer without a department still shows its own name: the display exists
    so that the inquiring insurer is identifiable, and hiding it by omission would misstate the record."""
    if department is not None:
        return department.nws_display_name
    return inquirer.name if inquirer.server == Server.INSURERS else ""


def new_record(
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
        inquirer_department_display=department_display(inquirer, department),
        provider_display=provider.nws_display_name,
        inquired_at=inquired_at,
        inquired_by=inquired_by,
    )


def snapshot(record: ExchangeRecord, *, for_provider: bool = False) -> dict:
    """The record's state for an audit entry. In the provider's own trail the inquiry side is only "coded or not":
    why another insurer coded its inquiry (its flag, its case links) is that insurer's business."""
    state = {
        "state": record.state,
        "inquiry_code": record.inquiry_code,
        "inquiry_code_source": record.inquiry_code_source,
        "provision_code": record.provision_code,
        "provision_code_source": record.provision_code_source,
    }
    if for_provider and record.inquirer.is_tenant:
        del state["inquiry_code_source"]
    return state
