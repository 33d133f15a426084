"""Peer institutions' simulated data (a municipality, a peer insurer): the 副本 they answer our inquiries from."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record as audit
from institutions.models import Institution
from members.models import InfoItem, Person, Replica


def register_peer_replica(*, institution: Institution, person: Person, item: InfoItem, content: dict) -> Replica:
    """The simulated data a peer institution (a municipality, a peer insurer) answers our inquiries from."""
    if institution.is_tenant:
        raise ValidationError("Nakama利用保険者の副本は副本登録（members.services）で行ってください。")
    if not isinstance(content, dict) or not content:
        raise ValidationError({"content": "副本の内容を入力してください。"})
    with transaction.atomic():
        replica = Replica.objects.create(
            institution=institution, person=person, item=item, content=content, registered_at=timezone.now()
        )
        audit(actor=None, institution=None, action="peer.replica.registered", target=replica, after={"item": item.code})
    return replica
