from django.core.management.base import BaseCommand, CommandError

from signin.demo import demo_code


class Command(BaseCommand):
    help = ("デモ用アカウントの二要素認証の確認コード（6桁）を表示します。seed_demo が登録したデモ用の端末に限ります"
            "（本人や運用者が登録した端末のコードは表示しません）。")

    def add_arguments(self, parser):
        parser.add_argument("username", help="デモ用アカウントのユーザー名（例: a_super）")

    def handle(self, *args, username: str, **options):
        found = demo_code(username)
        if found is None:
            raise CommandError(f"{username} にはデモ用の二要素認証の端末がありません。")
        code, seconds_left = found
        self.stdout.write(code)
        self.stderr.write(f"{username} の確認コードです（あと{seconds_left}秒有効。同じコードは一度しか使えません）。")
