"""The simulated 情報提供NWS processing 追記依頼, separately from the request (別紙3 ※: 「情報提供NWSへ記録の追記を
依頼する」). Run by `manage.py nws_process_append_requests`, POST /api/sim/append-requests/process/ and seed_demo.

Processing marks the record 不開示 once (appended_nondisclosure_at; the PostgreSQL trigger refuses changing it
afterwards); a rejection (差戻し) leaves the record as it was and tells the insurer NWS's reason.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record as audit
from exchanges.models import AppendRequest, AppendRequestStatus, ExchangeRecord, nws_write


def _locked_pending(request_id) -> AppendRequest:
    request = (
        AppendRequest.objects.select_for_update().select_related("institution").filter(pk=request_id).first()
    )
    if request is None:
        raise ValidationError("追記依頼が見つかりません。", code="not_found")
    if not request.is_pending:
        raise ValidationError("この追記依頼はすでに処理されています。", code="already_processed")
    return request


def process_append_request(*, request_id) -> AppendRequest:
    """処理済: NWS writes the 追記 on the record, which leaves every やりとり履歴 from now on."""
    with transaction.atomic(), nws_write():
        request = _locked_pending(request_id)
        record = ExchangeRecord.objects.select_for_update().get(
            pk=request.record_id, inquired_at=request.record_inquired_at)  # names the record's partition
        now = timezone.now()
        if record.appended_nondisclosure_at is None:  # another insurer's request may have been processed first
            record.appended_nondisclosure_at = now
            record.save(update_fields=["appended_nondisclosure_at"])
        request.status = AppendRequestStatus.PROCESSED
        request.processed_at = now
        request.save(update_fields=["status", "processed_at"])
        audit(
            actor=None, institution=request.institution, action="append_request.processed", target=record,
            after={"append_request": str(request.pk), "status": request.status},
        )
    return request


def reject_append_request(*, request_id, reason: str) -> AppendRequest:
    """差戻し: NWS turns the request down with its reason; the record stays as it was (still shown)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "差戻しの理由を入力してください。"}, code="reason_required")
    with transaction.atomic():
        request = _locked_pending(request_id)
        request.status = AppendRequestStatus.REJECTED
        request.processed_at = timezone.now()
        request.rejection_reason = reason
        request.save(update_fields=["status", "processed_at", "rejection_reason"])
        audit(
            actor=None, institution=request.institution, action="append_request.rejected", target=request.record,
            after={"append_request": str(request.pk), "status": request.status}, message=reason,
        )
    return request


def process_pending_append_requests() -> list[AppendRequest]:
    """Every 依頼中 request, oldest first, each in its own transaction."""
    ids = list(
        AppendRequest.objects.filter(status=AppendRequestStatus.PENDING)
        .order_by("requested_at", "id").values_list("pk", flat=True)
    )
    return [process_append_request(request_id=pk) for pk in ids]
