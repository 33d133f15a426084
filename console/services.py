"""Console acts that have no domain service elsewhere: the audited reads (閲覧の記録). Staff accounts:
institutions.services.

Each write runs in one transaction with its audit entry, as the domain services do.
"""


from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.services import record
from institutions.models import DateStyle, Staff
from members.models import Member


def record_protected_view(*, actor, member: Member, page: str) -> None:
    """Rule 10: every staff view of a protected person's member page or case is recorded."""
    record(actor=actor, action="protected.viewed", target=member, message=page)


def record_audit_read(*, actor, action: str, filters: dict, count: int | None) -> None:
    """Reading the auditor pages is itself audited, with the filter used and how many rows it gave (None: a download
    streamed after this entry is written, so its size is not known yet)."""
    after = {"filters": filters} if count is None else {"filters": filters, "rows": count}
    record(actor=actor, action=action, after=after)


def set_date_style(*, actor: Staff, date_style: str) -> Staff:
    """表示設定: the caller's own choice of 和暦 or 西暦 on the console. Changes nothing of the insurer's data."""
    if not getattr(actor, "is_insurer_staff", False):
        raise PermissionDenied("表示設定は保険者の職員のみが変更できます。")
    if date_style not in DateStyle.values:
        raise ValidationError({"date_style": "日付の表示を選び直してください。"})
    with transaction.atomic():
        staff = Staff.objects.select_for_update().get(pk=actor.pk)
        before = staff.date_style
        staff.date_style = date_style
        staff.save(update_fields=["date_style"])
        record(actor=actor, action="staff.preferences_changed", target=staff,
               before={"date_style": before}, after={"date_style": date_style})
    actor.date_style = date_style
    return staff
