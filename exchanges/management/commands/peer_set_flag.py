"""manage.py peer_set_flag: a simulated municipality sets its own flag on a resident (別添 ① 2/4)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from exchanges.management import lookup
from flags.policy import SETTING_LABELS, SettingKind
from flags.services import set_peer_setting


class Command(BaseCommand):
    help = "自治体（シミュレーション）が住民に不開示該当フラグ等を設定します。"

    def add_arguments(self, parser):
        parser.add_argument("--institution", required=True, help="設定する自治体（名称・ID）")
        parser.add_argument("--person", required=True, help="住民の個人識別子")
        parser.add_argument(
            "--kind", default=SettingKind.NON_DISCLOSURE.value, choices=[k.value for k in SettingKind],
            help="設定種別（既定: non_disclosure = 不開示該当フラグ）",
        )
        parser.add_argument("--item", help="特定個人情報コード（省略時は個人単位）")
        parser.add_argument("--reason", default="住民からの申出", help="設定理由")

    def handle(self, *args, **opts):
        inst = lookup.institution(opts["institution"], label="自治体")
        if inst.is_tenant:
            raise CommandError(f"{inst.name} は Nakama 利用保険者です。職員の画面またはAPIで設定してください。")
        person = lookup.person(opts["person"])
        item = lookup.item(opts["item"]) if opts["item"] else None
        try:
            setting = set_peer_setting(
                institution=inst, person=person, kind=opts["kind"], reason=opts["reason"], item=item
            )
        except ValidationError as exc:
            raise lookup.refuse(exc) from exc
        scope = item.name if item else "個人単位"
        label = SETTING_LABELS[SettingKind(opts["kind"])]
        self.stdout.write(self.style.SUCCESS(f"{inst.name} が {person.name} に{label}（{scope}）を設定しました。"))
        self.stdout.write(f"設定ID {setting.pk}")
