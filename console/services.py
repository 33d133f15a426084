"""Console acts that have no domain service elsewhere: the audited reads (閲覧の記録). Staff accounts:
institutions.services.

Each write runs in one transaction with its audit entry, as the domain services do.
"""


from audit.services import record
from members.models import Member


def record_protected_view(*, actor, member: Member, page: str) -> None:
    """Rule 10: every staff view of a protected person's member page or case is recorded."""
    record(actor=actor, action="protected.viewed", target=member, message=page)


def record_audit_read(*, actor, action: str, filters: dict, count: int) -> None:
    """Reading the auditor pages is itself audited, with the filter used and how many rows it gave."""
    record(actor=actor, action=action, after={"filters": filters, "rows": count})
