"""Where the card-procedure gate learns what Nakama's own data says about a person's card and 代理人.

Cards and proxies live in portal_sim, a floor above flags: flags never imports it. portal_sim registers its
provider here in its AppConfig.ready (as Django's admin registry works); the gate asks `facts_for`. With no
provider registered the answer is FACTS_UNKNOWN, and flags.policy fails closed on it (a 責任者 must state why).
"""

import datetime
from collections.abc import Callable, Collection, Sequence
from typing import NamedTuple

from flags.policy import FACTS_UNKNOWN, CardProxyFacts


class FactQuestion(NamedTuple):
    """What the gate asks about one person: her, the case's linked persons, the day card suspension was advised."""

    person_id: int
    linked_person_ids: tuple[int, ...]
    card_advised_on: datetime.date | None


# Questions → one answer each, in order: a provider answers a whole page of cases in a constant number of reads.
FactProvider = Callable[[Sequence[FactQuestion]], list[CardProxyFacts]]

_providers: list[FactProvider] = []


def register_fact_provider(provider: FactProvider) -> None:
    """Called once by the app that holds cards and proxies (portal_sim.apps). Registering twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)


def has_fact_provider() -> bool:
    return bool(_providers)


def facts_for(
    *, person_id: int, linked_person_ids: Collection[int], card_advised_on: datetime.date | None
) -> CardProxyFacts:
    """Every provider's facts about one person, combined: a threat any of them reports counts."""
    return facts_for_many([FactQuestion(person_id, tuple(linked_person_ids), card_advised_on)])[0]


def facts_for_many(questions: Sequence[FactQuestion]) -> list[CardProxyFacts]:
    """facts_for for each question, each provider asked once for all of them."""
    if not _providers:
        return [FACTS_UNKNOWN for _ in questions]
    answers = [provider(questions) for provider in _providers]
    return [
        CardProxyFacts(
            known=all(a[i].known for a in answers),
            card_not_stopped=any(a[i].card_not_stopped for a in answers),
            linked_proxy=any(a[i].linked_proxy for a in answers),
        )
        for i in range(len(questions))
    ]
