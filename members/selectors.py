"""Reads of members on hot paths."""

from types import SimpleNamespace

from django.db.models import QuerySet

from members.models import Member, Replica
from nakama.compiled import CompiledQuery

# One member of the caller's insurer by 被保険者枝番, with the person: scoped by Member.objects.visible_to (built with
# a stand-in caller whose insurer is the compiled query's value) and compiled once (issue 12 point 2).
_BY_BRANCH = CompiledQuery(
    lambda insurer, branch: Member.objects.visible_to(SimpleNamespace(institution_id=insurer))
    .filter(branch_number=branch)
    .select_related("person")
    .order_by("pk")[:1],
    prepare_as="nakama_member_by_branch",
    insurer=int,
    branch=str,
)


def member_by_branch(user, branch_number: str) -> Member | None:
    """The caller's insurer's member with this 枝番 (None for anyone without an insurer, as visible_to answers)."""
    if not getattr(user, "institution_id", None):
        return None
    found = _BY_BRANCH.objects(insurer=user.institution_id, branch=branch_number)
    return found[0] if found else None


def latest_replicas(*, institution_id: int, person_id: int, item_id: int) -> QuerySet:
    """An institution's 副本 of one item about a person, latest first (the first one answers an inquiry)."""
    return Replica.objects.filter(institution_id=institution_id, person_id=person_id, item_id=item_id).order_by(
        "-registered_at", "-id"
    )
