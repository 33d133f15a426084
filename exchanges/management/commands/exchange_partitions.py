"""manage.py exchange_partitions: the monthly partitions of 情報提供等記録 (PostgreSQL; exchanges/partitions.py).

Run daily (cron, systemd timer) as the runtime role or the owner: it makes the next months' partitions ahead and
exits with status 1 when something needs a person (rows in the default partition, too few months ahead).
`--detach-before 2021-04` detaches the months before April 2021 (retention); it needs the owner's connection.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from exchanges import partitions


def _month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"月は YYYY-MM の形で指定してください: {text!r}") from exc


class Command(BaseCommand):
    help = "情報提供等記録の月区画（パーティション）を先の月まで作成し、状態を表示します。"

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=partitions.MONTHS_AHEAD, help="何か月先まで作るか（既定 12）")
        parser.add_argument("--list", action="store_true", help="作成せず、区画と行数（統計値）を表示するだけ")
        parser.add_argument("--detach-before", type=_month, metavar="YYYY-MM",
                            help="この月より前の月区画を切り離す（保存期間経過、所有者ロールで実行）")
        parser.add_argument("--operator", default="", help="切り離しを行う運用者名（監査証跡に記録）")

    def handle(self, *args, **opts):
        if not partitions.is_partitioned():
            raise CommandError("情報提供等記録は区画化されていません（PostgreSQL でのみ使えます）。")
        try:
            if opts["detach_before"]:
                if not opts["operator"]:
                    raise CommandError("--operator で運用者名を指定してください（監査証跡に記録します）。")
                detached = partitions.detach_before(opts["detach_before"], operator=opts["operator"])
                self.stdout.write(self.style.SUCCESS(f"{len(detached)}区画を切り離しました: {', '.join(detached) or 'なし'}"))
                return
            if not opts["list"]:
                made = partitions.ensure_ahead(opts["ahead"])
                self.stdout.write(f"{len(made)}か月分の区画を確認しました（{opts['ahead']}か月先まで）。")
        except DatabaseError as exc:
            raise CommandError(f"データベースが拒否しました: {exc}".strip()) from exc
        for part in partitions.partitions():
            label = f"{part.month:%Y-%m}" if part.month else "既定（DEFAULT）"
            self.stdout.write(f"{label}\t{part.name}\t約{part.approx_rows:,}行")
        problems = []
        in_default = partitions.rows_in_default()
        if in_default:
            problems.append(f"既定区画に{in_default:,}行あります（その月の区画を作る前に移してください）。")
        ahead = partitions.months_ahead()
        if ahead < partitions.MONTHS_AHEAD_WARNING:
            problems.append(f"先の月の区画が{ahead}か月分しかありません。")
        for problem in problems:
            self.stderr.write(self.style.WARNING(problem))
        if problems:
            raise SystemExit(1)
