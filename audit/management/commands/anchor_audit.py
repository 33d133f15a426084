"""Sign the audit chain's head and write it where the database roles cannot write (audit/anchor.py).

Run by a timer (docs/operations.md: every 5 minutes); `verify_audit` then checks the chain against the latest one.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from audit import anchor
from audit.chain import verify_chain


class Command(BaseCommand):
    help = "監査証跡のハッシュチェーンを検証し、先頭を署名してアンカーとして書き出す（定期実行）"

    def add_arguments(self, parser):
        parser.add_argument("--anchor-dir", default="", help=f"書き出し先（既定: 環境変数 {anchor.DIR_ENV}）")

    def handle(self, *args, anchor_dir: str, **options):
        report = verify_chain()
        try:
            written = anchor.write(report, database=str(connection.settings_dict["NAME"]),
                                   target=Path(anchor_dir) if anchor_dir else None)
        except (anchor.AnchorError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"アンカーを書き出しました: {written.path}（記録ID {written.entry_id}、{report.checked} 件）")
