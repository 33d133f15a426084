"""manage.py nws_process_append_requests: the simulated 情報提供NWS processes 追記依頼.

Without options every 依頼中 request is processed (処理済). `--reject <依頼ID> --reason <理由>` turns one down
(差戻し) instead, for the demo and tests. `--list` only shows what is pending.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from exchanges import nws
from exchanges.models import AppendRequest, AppendRequestStatus
from nakama.text import format_age


class Command(BaseCommand):
    help = "情報提供NWS（シミュレーション）が追記依頼を処理します（既定: 依頼中のものをすべて処理済にする）。"

    def add_arguments(self, parser):
        parser.add_argument("--reject", metavar="依頼ID", help="この追記依頼を差し戻す（--reason が必要）")
        parser.add_argument("--reason", default="", help="差戻しの理由")
        parser.add_argument("--list", action="store_true", help="依頼中の追記依頼を表示するだけで処理しない")

    def handle(self, *args, **opts):
        if opts["list"]:
            now = timezone.now()
            pending = AppendRequest.objects.filter(status=AppendRequestStatus.PENDING).order_by("requested_at")
            for request in pending:
                self.stdout.write(f"{request.pk} 依頼中 {format_age(now - request.requested_at)}経過")
            self.stdout.write(f"依頼中: {pending.count()}件")
            return
        try:
            if opts["reject"]:
                nws.reject_append_request(request_id=opts["reject"], reason=opts["reason"])
                self.stdout.write(self.style.SUCCESS(f"追記依頼 {opts['reject']} を差し戻しました。"))
                return
            done = nws.process_pending_append_requests()
        except (ValidationError, ValueError) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(self.style.SUCCESS(f"追記依頼を{len(done)}件処理しました。"))
