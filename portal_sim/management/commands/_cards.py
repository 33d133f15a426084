"""Finding a card for the operator's commands: by card identifier, or by the person's identifier (newest card)."""

from django.core.management.base import CommandError

from members.models import Person
from portal_sim.models import Card


def find_card(identifier: str) -> Card:
    identifier = (identifier or "").strip().upper()
    card = Card.objects.select_related("person").filter(card_number=identifier).first()
    if card is None:
        person = Person.objects.filter(sim_id=identifier).first()
        if person is not None:
            card = Card.objects.select_related("person").filter(person=person).order_by("-issued_at", "-id").first()
    if card is None:
        raise CommandError(f"カードが見つかりません: {identifier}")
    return card
