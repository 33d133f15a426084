"""Role checks the domain services share (the views check too; the services check again, so no path skips it),
and the one rule of four eyes: independence by provenance (登録・昇格の経緯による独立性)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError

from institutions.models import Role

# Said wherever a four-eyes decision is refused (page and API), after the particular reason.
FOUR_EYES_RULE = (
    "承認には、依頼者から独立した別の人が必要です。依頼者と承認者が同じ人であること、"
    "どちらかが相手の依頼で（直接又は間接に）登録・昇格された職員であること、"
    "両者が同じ職員の依頼で登録・昇格された職員であることは、いずれも認められません。"
)


def require_changer(actor) -> None:
    """担当者 or 責任者 of an insurer: the roles that may change anything. 監査者 and the operator may not."""
    if not getattr(actor, "is_insurer_staff", False) or actor.role not in (Role.CLERK, Role.SUPERVISOR):
        raise PermissionDenied("この操作を行う権限がありません。")


def sponsors(staff_ids: set[int]) -> dict[int, set[int]]:
    """Each account's direct sponsors: who asked for it to be made (created_by), for its current role
    (role_requested_by) and for every earlier promotion (approved RoleGrantRequests naming it).

    The server operator (no insurer) is nobody's sponsor here: it makes the first, independent accounts of an insurer.
    """
    from institutions.models import RoleGrantRequest, RoleGrantRequestState, Staff

    found: dict[int, set[int]] = {pk: set() for pk in staff_ids}
    if not staff_ids:
        return found
    for pk, made_by, role_by in Staff.objects.filter(pk__in=staff_ids).values_list(
        "pk", "created_by_id", "role_requested_by_id"
    ):
        found[pk].update(x for x in (made_by, role_by) if x is not None)
    for pk, by in RoleGrantRequest.objects.filter(
        staff_id__in=staff_ids, state=RoleGrantRequestState.APPROVED, requested_by__isnull=False
    ).values_list("staff_id", "requested_by_id"):
        found[pk].add(by)
    candidates = set().union(*found.values())
    insiders = set(Staff.objects.filter(pk__in=candidates, institution__isnull=False).values_list("pk", flat=True))
    return {pk: {x for x in ids if x in insiders and x != pk} for pk, ids in found.items()}


def lineage(staff_id: int) -> set[int]:
    """Everyone at whose request this account was made or promoted, directly or through accounts they made."""
    seen: set[int] = set()
    frontier = {staff_id}
    while frontier:
        step = set().union(*sponsors(frontier).values()) - seen - {staff_id}
        seen |= step
        frontier = step
    return seen


def independence_refusal(approver, *, requested_by, requested_at: datetime.datetime | None) -> ValidationError | None:
    """Why `approver` may not decide a request filed by `requested_by` at `requested_at`, or None (four eyes).

    Refused: the requester themself; an approver in the requester's lineage (he made or promoted, or had made, the
    requester); a requester in the approver's lineage; the two sharing anyone in their lineages (both made or
    promoted at the same person's request: a 責任者 cannot decide with two accounts he had made); an approver whose
    role was granted at or after the moment the request was filed (nobody made for the purpose). Every four-eyes
    decision asks this: clearing, case closure, link removal, role grants, handovers.
    """
    requester_id = getattr(requested_by, "pk", requested_by)

    def refused(reason: str) -> ValidationError:
        return ValidationError(f"{reason}{FOUR_EYES_RULE}別の責任者に承認を依頼してください。", code="four_eyes")

    if requester_id is not None:
        if approver.pk == requester_id:
            return refused("依頼した本人は承認できません。")
        requester_line = lineage(requester_id)
        if approver.pk in requester_line:
            return refused("依頼者は、あなたの依頼で（直接又は間接に）登録・昇格された職員です。")
        approver_line = lineage(approver.pk)
        if requester_id in approver_line:
            return refused("あなたは、依頼者の依頼で（直接又は間接に）登録・昇格された職員です。")
        if approver_line & requester_line:
            return refused("あなたと依頼者は、同じ職員の依頼で登録・昇格された職員です。")
    if requested_at is not None and (approver.role_granted_at is None or approver.role_granted_at >= requested_at):
        return refused("依頼の後に役割を付与されたアカウントは、この依頼を承認できません。")
    return None


def require_independent_approver(actor, *, requested_by, requested_at) -> None:
    """Raise the refusal of independence_refusal, if any: the one check of every four-eyes decision."""
    if refusal := independence_refusal(actor, requested_by=requested_by, requested_at=requested_at):
        raise refusal
