"""Create (or bring up to date) the PostgreSQL owner and runtime roles; see audit/db_roles.py and docs/operations.md."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit import db_roles


class Command(BaseCommand):
    help = "PostgreSQL の所有者ロール（マイグレーション用）と実行時ロール（アプリ接続用）を作成・更新する（冪等）"

    def add_arguments(self, parser):
        parser.add_argument("--owner", default=os.environ.get("NAKAMA_DB_OWNER", "nakama_owner"))
        parser.add_argument("--runtime", default=os.environ.get("NAKAMA_DB_RUNTIME", "nakama_app"))
        parser.add_argument("--dry-run", action="store_true", help="実行せずに SQL を表示する")

    def handle(self, *args, owner: str, runtime: str, dry_run: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("create_db_roles は PostgreSQL でのみ使えます。")
        if owner == runtime:
            raise CommandError("所有者ロールと実行時ロールには別の名前を付けてください。")
        roles = db_roles.RoleNames(owner=owner, runtime=runtime)
        # Never strip a superuser (e.g. the one running this command) of its rights by naming it here.
        for name in (owner, runtime):
            if db_roles.is_superuser(name):
                raise CommandError(f"ロール {name} はスーパーユーザーです。所有者・実行時ロールには専用のロールを指定してください。")
        if dry_run:
            for sql, _params in db_roles.plan(roles):
                self.stdout.write(sql + ";")
            return
        # Passwords come from the environment only, never the command line (which other users can see).
        with transaction.atomic():
            done = db_roles.apply(
                roles,
                owner_password=os.environ.get("NAKAMA_DB_OWNER_PASSWORD", ""),
                runtime_password=os.environ.get("NAKAMA_DB_RUNTIME_PASSWORD", ""),
            )
        self.stdout.write(f"{len(done)} 件の SQL を実行しました（所有者 {owner}、実行時 {runtime}）。")
