"""The card and 代理人 facts portal_sim gives the card-procedure gate (registered in PortalSimConfig.ready)."""

import datetime
from collections.abc import Collection

from django.utils import timezone

from flags.policy import CardProxyFacts
from portal_sim.models import Card, Proxy


def card_proxy_facts(
    person_id: int, linked_person_ids: Collection[int], card_advised_on: datetime.date | None
) -> CardProxyFacts:
    """A card issued before the day suspension was advised (any card, with no date) and neither suspended nor
    replaced — one issued on or after that day is a reissue in her hands; and an active 代理人 who is one of the
    case's linked persons. Two indexed existence checks."""
    cards = Card.objects.filter(person_id=person_id, suspended_at__isnull=True, replaced_at__isnull=True)
    if card_advised_on is not None:
        advice_day = datetime.datetime.combine(card_advised_on, datetime.time.min)
        cards = cards.filter(issued_at__lt=timezone.make_aware(advice_day))
    linked_proxy = bool(linked_person_ids) and Proxy.objects.filter(
        principal_id=person_id, agent_id__in=list(linked_person_ids), removed_at__isnull=True
    ).exists()
    return CardProxyFacts(known=True, card_not_stopped=cards.exists(), linked_proxy=linked_proxy)
