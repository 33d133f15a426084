from django.core.management.base import BaseCommand

from portal_sim import services
from portal_sim.management.commands._cards import find_card


class Command(BaseCommand):
    help = "カードを停止します（カード停止）。代理人設定は解除されません。引数はカード識別子または個人識別子。"

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="カード識別子（CARD-…）または個人識別子（SIM-…、最新のカード）")
        parser.add_argument("--reason", default="", help="停止の理由（監査証跡に記録）")

    def handle(self, *args, identifier: str, reason: str, **options):
        card = services.suspend_card(card=find_card(identifier), reason=reason or "管理コマンドで停止")
        self.stdout.write(self.style.SUCCESS(f"カード {card.card_number}（{card.person.name}）を停止しました。"))
        self.stdout.write("代理人設定は解除されていません。解除は本人がマイナポータルで行います。")
