"""追記依頼: an insurer asks NWS to mark a record 不開示 after the fact (別紙2 §4); NWS processes it later
(exchanges.nws), and the record stays shown until then.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record as audit
from exchanges.models import LIVE_APPEND_STATUSES, AppendRequest, AppendRequestStatus, ExchangeRecord
from institutions.access import require_changer
from nakama.wareki import format_wareki


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
