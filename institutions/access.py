"""Role checks the domain services share (the views check too; the services check again, so no path skips it)."""

from django.core.exceptions import PermissionDenied

from institutions.models import Role


def require_changer(actor) -> None:
    """担当者 or 責任者 of an insurer: the roles that may change anything. 監査者 and the operator may not."""
    if not getattr(actor, "is_insurer_staff", False) or actor.role not in (Role.CLERK, Role.SUPERVISOR):
        raise PermissionDenied("この操作を行う権限がありません。")
