"""Prove the audit trail's hash chain, or name the first broken entry (exit status 1); check it against the latest
signed anchor (audit/anchor.py) and list the changes the database recorded without the application."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit import anchor
from audit.chain import verify_chain
from audit.direct_changes import direct_changes


class Command(BaseCommand):
    help = "監査証跡のハッシュチェーンを検証する（壊れていれば最初の記録IDを示して終了コード1）"

    def add_arguments(self, parser):
        parser.add_argument("--expect-head", default="", help="前回記録した先頭ハッシュ（末尾の削除を検出する）")
        parser.add_argument("--anchor-dir", default="", help=f"アンカーの置き場所（既定: 環境変数 {anchor.DIR_ENV}）")
        parser.add_argument("--require-anchor", action="store_true", help="アンカーがなければ失敗にする")

    def handle(self, *args, expect_head: str, anchor_dir: str, require_anchor: bool, **options):
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
        self._check_anchor(report, Path(anchor_dir) if anchor_dir else None, require_anchor)
        chains = f"（{len(report.heads)} 本のチェーン）" if report.heads else ""
        self.stdout.write(f"OK: {report.checked} 件の監査証跡のハッシュチェーン{chains}を検証しました（{elapsed:.2f} 秒）。")
        self.stdout.write(f"先頭ハッシュ: {report.head}")
        self._show_direct_changes()

    def _check_anchor(self, report, source: Path | None, required: bool) -> None:
        try:
            latest = anchor.latest(source)
            if latest is None:
                if required:
                    raise anchor.AnchorError("アンカーが見つかりません。")
                self.stdout.write("アンカー: 未設定（docs/operations.md「監査証跡のアンカー」）")
                return
            anchor.check(latest, report, database=str(connection.settings_dict["NAME"]),
                         stored_hashes=self._stored_hashes)
        except anchor.AnchorError as exc:
            raise CommandError(f"アンカーとの照合に失敗しました: {exc}") from None
        self.stdout.write(f"アンカー: {latest.path.name}（記録ID {latest.entry_id}）と一致")

    def _show_direct_changes(self) -> None:
        changes = direct_changes()
        if not changes:
            return
        self.stdout.write(f"アプリの記録を伴わないデータベースの直接変更: {len(changes)} 件")
        for change in changes:
            self.stdout.write(f"  記録ID {change.id} {change.action} {change.table} {change.row_id} "
                              f"{','.join(change.columns)} — {change.message}")

    @staticmethod
    def _stored_hashes(ids: list[int]) -> dict[int, str]:
        from audit.models import AuditEntry

        return dict(AuditEntry.objects.filter(pk__in=ids).values_list("id", "entry_hash"))

    @staticmethod
    def _head_is_earlier(head: str) -> bool:
        from audit.models import AuditEntry

        return AuditEntry.objects.filter(entry_hash=head).exists()
