"""List the open protection cases whose review date has come, per insurer. Nothing is changed: a case never expires
by itself (issue 10 point 6); staff review it and either set a new date or close it through four eyes.

Prints case ids and 被保険者枝番 only (no names), so the output can go to an operator's mail or log. Exits 0.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from flags.case_lifecycle import cases_due_for_review
from flags.models import ProtectionCase
from nakama.wareki import format_wareki


class Command(BaseCommand):
    help = "見直し期日を迎えた（又は過ぎた）対応中の設定対象者を、保険者ごとに表示します（何も変更しません）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="基準日（YYYY-MM-DD）。省略時は今日。")

    def handle(self, *args, **options):
        on = timezone.localdate()
        if options.get("date"):
            try:
                on = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date は 2026-04-01 のような形式で指定してください。") from None
        due = cases_due_for_review(ProtectionCase.objects.all(), on=on).select_related("institution", "member")
        rows = sorted(due, key=lambda c: (c.institution.name, c.institution_id, c.review_on, c.pk))
        if not rows:
            self.stdout.write(f"{format_wareki(on)} 時点で見直し期日を迎えた設定対象者はありません。")
            return
        self.stdout.write(f"{format_wareki(on)} 時点で見直し期日を迎えた設定対象者: {len(rows)}件")
        current = None
        for case in rows:
            if case.institution_id != current:
                current = case.institution_id
                count = sum(1 for c in rows if c.institution_id == current)
                number = f"（保険者番号 {case.institution.insurer_number}）" if case.institution.insurer_number else ""
                self.stdout.write(f"\n{case.institution.name}{number}: {count}件")
            overdue = (on - case.review_on).days
            late = f"{overdue}日経過" if overdue else "本日"
            self.stdout.write(
                f"  設定対象者ID {case.pk}  枝番 {case.member.branch_number}  見直し日 {format_wareki(case.review_on)}（{late}）"
            )
