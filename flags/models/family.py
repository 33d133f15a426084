"""同伴者 (the persons who fled with her) and the four-eyes requests that take them off a case."""

from django.db import models

from flags.models.cases import PersonOnCase, ProtectionCase
from institutions.models import FourEyesRequest, Institution
from members.models import Member


class CaseCompanion(PersonOnCase):
    """同伴者: a member of our insurer who fled with the protected person (a child or another; 別紙2 §2 covers 虐待
    victims too). The case's protections are set on them, its linked persons apply to them, and the sweep and the
    handover cover them (flags.family). Removed only through a CompanionRemovalRequest (four eyes)."""

    case = models.ForeignKey(ProtectionCase, verbose_name="設定対象者", on_delete=models.PROTECT,
                             related_name="companions")
    member = models.ForeignKey(Member, verbose_name="同伴者（被保険者）", on_delete=models.PROTECT, related_name="+")
    relation = models.CharField("続柄", max_length=20)

    class Meta:
        verbose_name = "同伴者"
        verbose_name_plural = "同伴者"
        ordering = ["added_at", "id"]
        indexes = [models.Index(fields=["institution", "member", "removed_at"], name="companion_lookup_idx")]
        constraints = [
            models.UniqueConstraint(fields=["case", "member"], condition=models.Q(removed_at__isnull=True),
                                    name="one_companion_per_case_member")
        ]

    def __str__(self) -> str:
        return f"同伴者（設定対象者 第{self.case_id}号）"


class CompanionRemovalRequest(FourEyesRequest):
    """A request to take a 同伴者 off a case — it removes their protection, so a supervisor other than the requester
    approves it (four eyes), and case ①'s card-procedure gate is asked as for any clearing."""

    companion = models.ForeignKey(CaseCompanion, verbose_name="同伴者", on_delete=models.PROTECT,
                                  related_name="removal_requests")
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("削除理由")
    override_reason = models.TextField("手続完了前の解除理由（責任者）", blank=True)
    override_by_name = models.CharField("手続完了前の解除を判断した責任者", max_length=150, blank=True)

    class Meta:
        verbose_name = "同伴者の削除依頼"
        verbose_name_plural = "同伴者の削除依頼"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["companion"], condition=models.Q(state="pending"),
                                    name="one_pending_removal_per_companion")
        ]

    def __str__(self) -> str:
        return f"削除依頼: {self.companion}"
