"""Writes the API needs that no other app offers yet: bulk 副本 registration and the audit of protected reads.

Both follow the services' rules: keyword-only, one transaction, permission and tenancy checked inside, one audit
entry written in the same transaction.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import append, entry, record
from institutions.access import require_changer
from members.models import InfoItem, Member, Replica

BULK_BATCH_SIZE = 1000
_IN_CHUNK = 900  # stays under SQLite's bound-parameter limit on old builds


@dataclass(frozen=True)
class ReplicaRow:
    """One row of a bulk 副本 registration."""

    branch_number: str
    item_code: str
    content: dict
    registered_at: datetime.datetime | None = None


class BulkRowError(Exception):
    """A row that cannot be registered; nothing of the request was applied."""

    def __init__(self, index: int, field: str, message: str):
        super().__init__(f"{index}: {field}: {message}")
        self.index = index
        self.field = field
        self.message = message


def register_replicas_bulk(*, actor, rows: Sequence[ReplicaRow]) -> int:
    """副本の一括登録: every row or none. Rows name the actor's members by 被保険者枝番.

    Validation happens before any write, so the first bad row (its index) is reported and nothing is applied; the
    writes then go in batches of bulk_create inside one transaction, with one audit entry for the whole request.
    """
    require_changer(actor)
    items = {item.code: item for item in InfoItem.objects.all()}
    wanted = sorted({row.branch_number for row in rows})
    members: dict[str, tuple[int, int]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        for pk, branch, person_id in Member.objects.visible_to(actor).filter(branch_number__in=chunk).values_list(
            "pk", "branch_number", "person_id"
        ):
            members[branch] = (pk, person_id)
    for index, row in enumerate(rows):
        if row.branch_number not in members:
            raise BulkRowError(index, "branch_number", "この被保険者枝番の被保険者は登録されていません。")
        if row.item_code not in items:
            raise BulkRowError(index, "item", "特定個人情報のコードが正しくありません。")
        if not isinstance(row.content, dict) or not row.content:
            raise BulkRowError(index, "content", "副本の内容を入力してください。")
    now = timezone.now()
    objects = [
        Replica(
            institution_id=actor.institution_id,
            person_id=members[row.branch_number][1],
            member_id=members[row.branch_number][0],
            item=items[row.item_code],
            content=row.content,
            registered_at=row.registered_at or now,
            registered_by=actor,
        )
        for row in rows
    ]
    with transaction.atomic():
        Replica.objects.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        record(
            actor=actor,
            action="replica.bulk_registered",
            after={"rows": len(objects), "items": sorted({row.item_code for row in rows})},
            message=f"副本の一括登録 {len(objects)}件",
        )
    return len(objects)


def protected_members(*, institution_id: int, person_ids: Iterable[int]) -> list[Member]:
    """The insurer's members among these persons who are protected: an open 設定対象者 case or a setting in force."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    return list(
        Member.objects.filter(insurer_id=institution_id, person_id__in=ids)
        .filter(
            Q(protection_cases__closed_at__isnull=True, protection_cases__isnull=False)
            | Q(settings__cleared_at__isnull=True, settings__isnull=False)
        )
        .distinct()
        .order_by("pk")
    )


def record_protected_views(*, actor, person_ids: Iterable[int], via: str) -> int:
    """Every view of a protected person's data by staff is recorded (SPEC rule 10), one entry per person."""
    entries = protected_view_entries(actor=actor, person_ids=person_ids, via=via)
    if entries:
        with transaction.atomic():
            append(*entries)
    return len(entries)


def protected_view_entries(*, actor, person_ids: Iterable[int], via: str) -> list[AuditEntry]:
    """The entries record_protected_views writes, unwritten: a list page appends them with its others, at once."""
    if not getattr(actor, "institution_id", None):
        return []
    members = protected_members(institution_id=actor.institution_id, person_ids=person_ids)
    return [entry(actor=actor, action="protected.viewed", target=m, message=f"API参照: {via}") for m in members]


def revoke_token(*, actor, token) -> None:
    """Delete the caller's API token (knox stores only its digest)."""
    with transaction.atomic():
        if token is not None:
            token.delete()
        record(actor=actor, action="api_token.revoked", message="APIトークンを失効")
