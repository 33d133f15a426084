"""Role checks the domain services share (the views check too; the services check again, so no path skips it)."""

from django.core.exceptions import PermissionDenied, ValidationError

from institutions.models import Role


def require_changer(actor) -> None:
    """担当者 or 責任者 of an insurer: the roles that may change anything. 監査者 and the operator may not."""
    if not getattr(actor, "is_insurer_staff", False) or actor.role not in (Role.CLERK, Role.SUPERVISOR):
        raise PermissionDenied("この操作を行う権限がありません。")


def require_independent_approver(actor, *, requested_by, requested_at) -> None:
    """Four eyes that hold: the approver of a request must be independent of whoever filed it.

    Refused: the requester themself; an account whose current role was granted at the requester's request (a
    責任者 cannot approve his own request with a second 責任者 he had made); a requester whose current role was
    granted at the approver's request (nor with a 担当者 he had made file it for him); an account whose role was
    granted at or after the moment the request was filed (nobody made for the purpose). Used by every four-eyes
    approval: clearing a setting (flags.services.decide_clearing) and granting roles (institutions.services).
    """
    from institutions.models import Staff

    requester_id = getattr(requested_by, "pk", requested_by)
    if requester_id is not None and actor.pk == requester_id:
        raise ValidationError("依頼した本人は承認できません（別の責任者が承認してください）。", code="four_eyes")
    if requester_id is not None and actor.role_requested_by_id == requester_id:
        raise ValidationError(
            "依頼者の依頼で役割を付与されたアカウントは、その依頼者の依頼を承認できません。", code="four_eyes"
        )
    made_by = Staff.objects.filter(pk=requester_id).values_list("role_requested_by_id", flat=True).first()
    if requester_id is not None and made_by == actor.pk:
        raise ValidationError(
            "ご自身の依頼で役割を付与された職員の依頼は承認できません（別の責任者が承認してください）。", code="four_eyes"
        )
    if actor.role_granted_at is None or actor.role_granted_at >= requested_at:
        raise ValidationError("依頼の後に役割を付与されたアカウントは、この依頼を承認できません。", code="four_eyes")
