"""The card and 代理人 facts portal_sim gives the card-procedure gate (registered in PortalSimConfig.ready)."""

import datetime
from collections import defaultdict
from collections.abc import Sequence

from django.utils import timezone

from flags.facts import FactQuestion
from flags.policy import CardProxyFacts
from portal_sim.models import Card, Proxy


def card_proxy_facts_many(questions: Sequence[FactQuestion]) -> list[CardProxyFacts]:
    """A card issued before the day suspension was advised (any card, with no date) and neither suspended nor
    replaced — one issued on or after that day is a reissue in her hands; and an active 代理人 who is one of the
    case's linked persons. Two indexed reads for any number of questions (a page of the case list)."""
    persons = {q.person_id for q in questions}
    issued = defaultdict(list)
    for person_id, issued_at in Card.objects.filter(
        person_id__in=persons, suspended_at__isnull=True, replaced_at__isnull=True
    ).values_list("person_id", "issued_at"):
        issued[person_id].append(issued_at)
    agents = defaultdict(set)
    if any(q.linked_person_ids for q in questions):
        for principal_id, agent_id in Proxy.objects.filter(
            principal_id__in=persons, removed_at__isnull=True
        ).values_list("principal_id", "agent_id"):
            agents[principal_id].add(agent_id)
    return [CardProxyFacts(known=True, card_not_stopped=_card_usable(issued[q.person_id], q.card_advised_on),
                           linked_proxy=bool(agents[q.person_id] & set(q.linked_person_ids)))
            for q in questions]


def _card_usable(issued: list[datetime.datetime], advised_on: datetime.date | None) -> bool:
    if advised_on is None:
        return bool(issued)
    advice_day = timezone.make_aware(datetime.datetime.combine(advised_on, datetime.time.min))
    return any(at < advice_day for at in issued)
