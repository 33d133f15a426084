from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from api.services import create_token
from institutions.models import Staff


class Command(BaseCommand):
    help = "職員のAPIトークンを発行します。トークンはこの一度だけ表示され、データベースにはハッシュのみ保存されます。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="トークンを発行する職員のユーザー名")

    def handle(self, *args, username: str, **options):
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise CommandError(f"職員 {username} が見つかりません。")
        if not staff.is_insurer_staff:
            raise CommandError(f"{username} は保険者の職員ではないため、APIトークンを発行できません。")
        try:
            token = create_token(actor=None, staff=staff, reason="管理コマンド create_api_token で発行")
        except PermissionDenied as refusal:
            raise CommandError(f"{refusal} 先に enrol_totp {username} で端末を登録してください。") from None
        self.stdout.write(token)
        self.stderr.write(f"{staff.institution.name} {staff.get_role_display()} {username} のトークンを発行しました。"
                          "再表示はできません。")
