from django.core.management.base import BaseCommand, CommandError

from institutions.models import Staff
from signin.policy import needs_second_factor
from signin.services import enrol_totp, provisioning


class Command(BaseCommand):
    help = ("職員（または運用者）に二要素認証の端末（認証アプリ）を登録します。以前の端末は無効になります。"
            "表示されるQRコードまたは秘密鍵を、本人の認証アプリに登録してください。")

    def add_arguments(self, parser):
        parser.add_argument("username", help="登録する職員のユーザー名")

    def handle(self, *args, username: str, **options):
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise CommandError(f"職員 {username} が見つかりません。")
        if not needs_second_factor(staff):
            self.stderr.write(f"注意: {username} は二要素認証が必須の役割ではありません。")
        device = enrol_totp(staff=staff, reason="管理コマンド enrol_totp で登録")
        info = provisioning(device)
        self.stdout.write(info.url)
        self.stdout.write(f"秘密鍵: {info.secret}")
        import segno

        segno.make(info.url, error="m").terminal(out=self.stdout, compact=True)
