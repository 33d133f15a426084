from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.world import build_world
from institutions.models import Institution
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from signin.demo import enrol_demo_devices


class Command(BaseCommand):
    help = "デモデータを作成します（毎回同じ内容）。--reset で既存データを消去してから作成します。"

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="既存のデータをすべて消去してから作成する")

    def handle(self, *args, reset: bool = False, **options):
        if Institution.objects.exists():
            if not reset:
                raise CommandError("データがすでにあります。作り直すには --reset を付けてください。")
            call_command("flush", interactive=False, verbosity=0)
            ensure_catalogue(InfoItem, Procedure)  # flush empties the catalogue the migration wrote
        with transaction.atomic():
            world = build_world()
            with_second_factor = enrol_demo_devices()
        self.stdout.write(self.style.SUCCESS("デモデータを作成しました。"))
        self.stdout.write("ログイン（ユーザー名 / パスワード / 所属）:")
        for username, password, description in world.logins:
            self.stdout.write(f"  {username:<10} {password:<18} {description}")
        if with_second_factor:
            self.stdout.write(
                f"二要素認証（{'・'.join(with_second_factor)}）: パスワードの次に6桁の確認コードを入力します。"
                "デモでは次のコマンドで今のコードを表示できます（30秒ごとに変わり、同じコードは一度だけ使えます）:\n"
                "  DEBUG=true .venv/bin/python manage.py demo_otp a_super"
            )
        for note in world.notes:
            self.stdout.write(note)
