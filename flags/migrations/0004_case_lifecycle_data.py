"""Data for issue 10 points 2, 4, 6, kept sensible for existing rows:

- the カード停止等手続 ticks become dates: the day of the first audit entry that ticked each one, else the day the
  case was opened (the earliest the tick can have been made);
- `review_on`: one year from opening;
- `Setting.cleared_by` now names the APPROVER: the former value (the requester) moves to `clear_requested_by`, and
  the approver comes from the approved clearing request;
- a member with more than one open case keeps the newest open; the older ones are closed as merged, their settings
  untouched (still in force), so no protection ends here.
"""

from django.db import migrations
from django.utils import timezone

PAIRS = {
    "card_suspension_advised": "card_suspension_advised_on",
    "card_suspension_done": "card_suspension_confirmed_on",
    "proxy_cancel_advised": "proxy_cancel_advised_on",
    "proxy_cancel_done": "proxy_cancel_confirmed_on",
    "number_change_advised": "number_change_advised_on",
    "number_change_done": "number_change_confirmed_on",
}


def _one_year_after(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def forwards(apps, schema_editor):
    ProtectionCase = apps.get_model("flags", "ProtectionCase")
    Setting = apps.get_model("flags", "Setting")
    ClearingRequest = apps.get_model("flags", "ClearingRequest")
    AuditEntry = apps.get_model("audit", "AuditEntry")

    for case in ProtectionCase.objects.all().order_by("pk"):
        opened_day = timezone.localdate(case.opened_at)
        entries = AuditEntry.objects.filter(
            target_type="flags.ProtectionCase", target_id=str(case.pk), action="case.checklist_updated"
        ).order_by("at")
        for old, new in PAIRS.items():
            if not getattr(case, old):
                continue
            day = opened_day
            for entry in entries:
                if (entry.after or {}).get(old) is True:
                    day = timezone.localdate(entry.at)
                    break
            setattr(case, new, day)
        case.review_on = _one_year_after(opened_day)
        case.save()

    for setting in Setting.objects.filter(cleared_at__isnull=False).order_by("pk"):
        approved = (
            ClearingRequest.objects.filter(setting_id=setting.pk, state="approved").order_by("-decided_at").first()
        )
        setting.clear_requested_by_id = setting.cleared_by_id
        setting.clear_requested_by_name = setting.cleared_by_name
        if approved is not None:
            setting.cleared_by_id = approved.decided_by_id
            setting.cleared_by_name = approved.decided_by_name
        setting.save(update_fields=["clear_requested_by", "clear_requested_by_name", "cleared_by", "cleared_by_name"])

    open_cases = ProtectionCase.objects.filter(closed_at__isnull=True).order_by("member_id", "-opened_at", "-pk")
    seen = set()
    now = timezone.now()
    for case in open_cases:
        if case.member_id in seen:
            case.closed_at = now
            case.closed_by_name = "（データ移行）"
            case.close_reason = "同じ被保険者の対応中の設定対象者が複数あったため、新しい方に統合（設定は有効のまま）"
            case.save(update_fields=["closed_at", "closed_by_name", "close_reason"])
        seen.add(case.member_id)


class Migration(migrations.Migration):

    dependencies = [
        ("flags", "0003_case_lifecycle_fields"),
        ("audit", "0002_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
