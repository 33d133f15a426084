import getpass

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from institutions.models import Staff
from signin.tokens import create_operator_token


class Command(BaseCommand):
    help = (
        "担当者のAPIトークンを発行します（保険者システム用）。トークンはこの一度だけ表示され、データベースにはハッシュのみ"
        "保存されます。このトークンでは承認・却下（四つの目）はできません。責任者・監査者は本人がコンソールで発行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="トークンを発行する担当者のユーザー名")

    def handle(self, *args, username: str, **options):
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise CommandError(f"職員 {username} が見つかりません。")
        if not staff.is_insurer_staff:
            raise CommandError(f"{username} は保険者の職員ではないため、APIトークンを発行できません。")
        operator = f"運用者（管理コマンド create_api_token、OSユーザー {_os_user()}）"
        try:
            token = create_operator_token(staff=staff, operator=operator, reason="管理コマンド create_api_token で発行")
        except PermissionDenied as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(token)
        self.stderr.write(f"{staff.institution.name} {staff.get_role_display()} {username} のトークンを発行しました。"
                          "再表示はできません。このトークンでは承認・却下はできません。")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in a bare container
        return "不明"
