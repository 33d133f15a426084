"""Who must pass a second factor (二要素認証) after the password. Pure: a user in, a decision out."""

from institutions.models import Role

# 責任者 approves clearing and manages staff; 監査者 reads the whole insurer, including the audit trail; the
# operator (運用者, /ops-admin/) reads every insurer. A stolen password of any of them exposes too much.
SECOND_FACTOR_ROLES = frozenset({Role.SUPERVISOR.value, Role.AUDITOR.value})


def needs_second_factor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or getattr(user, "role", "") in SECOND_FACTOR_ROLES)
