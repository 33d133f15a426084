"""The supervisor dashboard and the staff list."""

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from exchanges.models import ExchangeRecord
from exchanges.sweep import Rejections, rejections_summary
from flags.models import ClearingRequest, ClearingRequestState, Setting
from flags.policy import SETTING_LABELS, SettingKind
from institutions.models import Staff

# Staff.


def staff_of(user) -> models.QuerySet[Staff]:
    if not getattr(user, "institution_id", None):
        return Staff.objects.none()
    staff = Staff.objects.filter(institution_id=user.institution_id).select_related("department")
    return staff.order_by("role", "username")


# Supervisor dashboard.

CHART_DAYS = 14


@dataclass(frozen=True)
class DayBar:
    day: datetime.date
    total: int
    hidden: int
    x: float
    width: float
    total_y: float
    total_h: float
    hidden_y: float
    hidden_h: float

    @property
    def hidden_percent(self) -> int:
        return round(100 * self.hidden / self.total) if self.total else 0


@dataclass
class Dashboard:
    settings_by_kind: list[tuple[str, int]]
    open_manual: int
    oldest_manual_age: datetime.timedelta | None
    manual_rows: list[ExchangeRecord]
    pending_clearing: int
    days: list[DayBar]
    chart_width: int
    chart_height: int
    chart_max: int
    total_14: int
    hidden_14: int
    rejected_appends: Rejections | None = None  # 差戻し not yet filed again (issue 17 point 4)


def _bars(counts: dict[datetime.date, tuple[int, int]], days: list[datetime.date]) -> tuple[list[DayBar], int]:
    width, height, gap = 560, 160, 6
    bar_w = (width - gap * (len(days) + 1)) / len(days)
    peak = max([t for t, _ in counts.values()] + [1])
    bars = []
    for i, day in enumerate(days):
        total, hidden = counts.get(day, (0, 0))
        total_h = height * total / peak
        hidden_h = height * hidden / peak
        bars.append(
            DayBar(
                day=day, total=total, hidden=hidden, x=round(gap + i * (bar_w + gap), 1), width=round(bar_w, 1),
                total_y=round(height - total_h, 1), total_h=round(total_h, 1),
                hidden_y=round(height - hidden_h, 1), hidden_h=round(hidden_h, 1),
            )
        )
    return bars, peak


def dashboard(user, *, now: datetime.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    active = Setting.objects.visible_to(user).active()
    by_kind = dict(active.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    settings_by_kind = [(SETTING_LABELS[k], by_kind.get(k.value, 0)) for k in SettingKind]

    queue = ExchangeRecord.objects.visible_to(user).manual_queue(user.institution_id)
    oldest = queue.aggregate(oldest=Min("inquired_at"))["oldest"]
    manual_rows = list(queue.select_related("item", "subject", "inquirer").order_by("inquired_at")[:10])
    for r in manual_rows:
        r.age = now - r.inquired_at

    pending = ClearingRequest.objects.visible_to(user).filter(state=ClearingRequestState.PENDING).count()

    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    since = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=timezone.get_current_timezone())
    hidden_q = Q(inquiry_code=True) | Q(provision_code=True) | Q(appended_nondisclosure_at__isnull=False)
    rows = (
        ExchangeRecord.objects.visible_to(user)
        .filter(inquired_at__gte=since)
        .annotate(day=TruncDate("inquired_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Count("id"), hidden=Count("id", filter=hidden_q))
    )
    counts = {r["day"]: (r["total"], r["hidden"]) for r in rows}
    bars, peak = _bars(counts, days)
    return Dashboard(
        settings_by_kind=settings_by_kind,
        open_manual=queue.count(),
        oldest_manual_age=(now - oldest) if oldest else None,
        manual_rows=manual_rows,
        pending_clearing=pending,
        days=bars,
        chart_width=560,
        chart_height=160,
        chart_max=peak,
        total_14=sum(b.total for b in bars),
        hidden_14=sum(b.hidden for b in bars),
        rejected_appends=rejections_summary(user, now=now),
    )
