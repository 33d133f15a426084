"""要注意照会対象者 (linked persons: the abuser and others a case names) and the four-eyes requests that remove them."""

from django.db import models

from flags.models.cases import PersonOnCase, ProtectionCase
from institutions.models import FourEyesRequest, Institution
from members.models import Person


class CaseLinkedPerson(PersonOnCase):
    """要注意照会対象: a person who must not learn where the protected person is (the abuser and others).

    Every inquiry our insurer sends about a linked person of an open case carries 不開示コード by the system (our
    extension of 別紙2 §3 ② and §4). Added by staff at any time; removed only through a LinkRemovalRequest that a
    supervisor other than the requester approves. A removed link stays as history.
    """

    case = models.ForeignKey(
        ProtectionCase, verbose_name="設定対象者", on_delete=models.PROTECT, related_name="linked_persons"
    )
    person = models.ForeignKey(Person, verbose_name="要注意照会対象者", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "要注意照会対象者"
        verbose_name_plural = "要注意照会対象者"
        ordering = ["added_at", "id"]
        indexes = [models.Index(fields=["institution", "person", "removed_at"], name="linked_person_lookup_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"], condition=models.Q(removed_at__isnull=True), name="one_link_per_case_person"
            )
        ]

    def __str__(self) -> str:
        return f"要注意照会対象（設定対象者 第{self.case_id}号）"


class LinkRemovalRequest(FourEyesRequest):
    """A request to remove a linked person from a case, with a reason; a supervisor other than the requester
    approves it (four eyes). Until then every inquiry about the person keeps getting 不開示コード."""

    link = models.ForeignKey(
        CaseLinkedPerson, verbose_name="要注意照会対象者", on_delete=models.PROTECT, related_name="removal_requests"
    )
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("削除理由")

    class Meta:
        verbose_name = "要注意照会対象者の削除依頼"
        verbose_name_plural = "要注意照会対象者の削除依頼"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["link"], condition=models.Q(state="pending"), name="one_pending_removal_per_link"
            )
        ]

    def __str__(self) -> str:
        return f"削除依頼: {self.link}"
