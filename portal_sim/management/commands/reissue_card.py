from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal_sim import services
from portal_sim.management.commands._cards import find_card


class Command(BaseCommand):
    help = "カードを再交付します。新しいカード識別子と暗証番号を表示し、旧カードは使えなくなります。"

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="旧カードのカード識別子（CARD-…）または個人識別子（SIM-…）")
        parser.add_argument("--pin", default=None, help="新しい暗証番号（数字4桁）。省略すると無作為に決めます")

    def handle(self, *args, identifier: str, pin: str | None, **options):
        person = find_card(identifier).person
        pin = pin if pin is not None else services.new_pin()
        try:
            card = services.reissue_card(person=person, pin=pin)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"{person.name} さんにカードを再交付しました。旧カードは使えません。"))
        self.stdout.write(f"カード識別子: {card.card_number}")
        self.stdout.write(f"暗証番号: {pin}")
