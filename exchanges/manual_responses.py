"""手動応答: the 情報提供内容入力画面's 送信許可 and 提供せず for an inquiry queued by 自動応答不可 (別紙1 ③). The rules
are checked again at approval, on both sides (別紙1 ※2); if that check cannot be completed nothing is provided.
"""

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from audit.services import record as audit
from exchanges.answering import both_sides_of, complete_codes, provide, provider_replica, snapshot
from exchanges.errors import ProvisionNotSent
from exchanges.models import ExchangeRecord, ExchangeState, nws_write
from institutions.access import require_changer


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
            sides = both_sides_of(record)
            code = complete_codes(record, sides, requested=nondisclosure_code)
            replica = provider_replica(record, sides)
            original = replica.content if replica else None
            final = content if content is not None else original
            if final is None:
                raise ValidationError(
                    {"content": "登録済みの副本がありません。提供内容を入力してください。"}, code="content_required"
                )
            provide(record, content=final, replica=replica, code=code, code_by=actor, by=actor)
            record.content_corrected = content is not None and content != original
            record.save()
            audit(
                actor=actor,
                action="manual_response.approved",
                target=record,
                before={"state": ExchangeState.MANUAL, "content": original},
                after={**snapshot(record, for_provider=True), "content": final,
                       "content_corrected": record.content_corrected},
                message="提供内容を修正して送信" if record.content_corrected else "副本の内容で送信",
            )
            if record.inquiry_code and not coded_before and record.inquirer.is_tenant:
                # 別紙1 ※2: the inquirer's trail says its inquiry was coded at completion, and why.
                audit(
                    actor=None, institution=record.inquirer, action="inquiry.coded_at_completion", target=record,
                    after=snapshot(record), message=f"{record.provider.name} の送信許可の時点で不開示コードを設定",
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
