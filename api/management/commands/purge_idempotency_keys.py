"""manage.py purge_idempotency_keys: delete stored Idempotency-Key answers past IDEMPOTENCY_KEY_TTL. Run daily."""

import datetime

from django.core.management.base import BaseCommand

from api.idempotency import purge_expired


class Command(BaseCommand):
    help = "保存期間（既定24時間）を過ぎた Idempotency-Key の応答を削除します（毎日実行）。"

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=int, default=None,
                            help="この時間より古いものを削除（既定: 設定 IDEMPOTENCY_KEY_TTL_HOURS）")

    def handle(self, *args, **opts):
        hours = opts["older_than_hours"]
        purged = purge_expired(older_than=datetime.timedelta(hours=hours) if hours is not None else None)
        self.stdout.write(self.style.SUCCESS(f"Idempotency-Key の応答を{purged}件削除しました。"))
