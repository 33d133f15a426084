"""Prove the audit trail's hash chain, or name the first broken entry (exit status 1)."""

import time

from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify_chain


class Command(BaseCommand):
    help = "監査証跡のハッシュチェーンを検証する（壊れていれば最初の記録IDを示して終了コード1）"

    def add_arguments(self, parser):
        parser.add_argument("--expect-head", default="", help="前回記録した先頭ハッシュ（末尾の削除を検出する）")

    def handle(self, *args, expect_head: str, **options):
        started = time.perf_counter()
        report = verify_chain()
        elapsed = time.perf_counter() - started
        if not report.ok:
            raise CommandError(
                f"監査証跡のハッシュチェーンが壊れています: 記録ID {report.broken_id}（{report.problem}）。"
                f"それ以前の {report.checked} 件は正常です。"
            )
        if expect_head and expect_head != report.head and not self._head_is_earlier(expect_head):
            raise CommandError(f"前回記録した先頭ハッシュ {expect_head} がチェーンにありません（末尾の記録の削除）。")
        self.stdout.write(f"OK: {report.checked} 件の監査証跡のハッシュチェーンを検証しました（{elapsed:.2f} 秒）。")
        self.stdout.write(f"先頭ハッシュ: {report.head}")

    @staticmethod
    def _head_is_earlier(head: str) -> bool:
        from audit.models import AuditEntry

        return AuditEntry.objects.filter(entry_hash=head).exists()
