"""引継ぎ: what a protected member's old insurer offers the new one when she moves, and the 同伴者 it names."""

from django.conf import settings as django_settings
from django.db import models

from flags.models.cases import ProtectionCase
from institutions.models import Institution
from members.models import Person


class HandoverState(models.TextChoices):
    PENDING = "pending", "確認待ち"
    CONFIRMED = "confirmed", "引継ぎ済"
    DECLINED = "declined", "辞退"


class Handover(models.Model):
    """引継ぎ (issue 11 point 3, issue 17): a protected member lost her membership because she joins another Nakama
    insurer; her old insurer offers, with her consent, what the new one needs to protect her. The instant she is (or
    becomes) the new insurer's member, the protections apply there provisionally (`new_case`, 引継ぎによる仮設定);
    its 責任者 confirms or declines (flags.handover). The new insurer sees only what is named here: case ①/②, 申出の
    有無, the dated カード停止等手続 checklist and the review date travel, nothing else of the old case."""

    from_case = models.ForeignKey(ProtectionCase, verbose_name="引継ぎ元の設定対象者", on_delete=models.PROTECT,
                                  related_name="handovers")
    from_institution = models.ForeignKey(Institution, verbose_name="引継ぎ元", on_delete=models.PROTECT,
                                         related_name="+")
    to_institution = models.ForeignKey(Institution, verbose_name="引継ぎ先", on_delete=models.PROTECT,
                                       related_name="+")
    person = models.ForeignKey(Person, verbose_name="本人", on_delete=models.PROTECT, related_name="+")
    kinds = models.JSONField("引き継ぐ設定の種別", default=list)
    linked_persons = models.ManyToManyField(Person, verbose_name="要注意照会対象者", related_name="+", blank=True)
    review_on = models.DateField("見直し日")
    consent_on = models.DateField("本人の同意を確認した日")
    # What travels of the old case (issue 17 point 2): 別紙2 §2 ウ, case ①/②, the dated checklist of §3 ①.
    requested_by_person = models.BooleanField("ウ 本人からの申出あり", default=True)
    need_evident = models.BooleanField("申出はないが設定を要することが明らか", default=False)
    request_date = models.DateField("申出日", null=True, blank=True)
    case_card_or_proxy = models.BooleanField("ケース① カードが加害者の手元にある／加害者が代理人", default=False)
    case_inquiry_about_abuser = models.BooleanField("ケース② 加害者に係る情報照会を行う", default=False)
    card_suspension_advised_on = models.DateField("カード停止を案内した日", null=True, blank=True)
    card_suspension_confirmed_on = models.DateField("カード停止の完了を確認した日", null=True, blank=True)
    card_suspension_not_applicable = models.BooleanField("カード停止は対象外（代理人設定のみが問題）", default=False)
    card_suspension_not_applicable_reason = models.TextField("カード停止を対象外とする理由", blank=True)
    proxy_cancel_advised_on = models.DateField("代理人設定の解除を案内した日", null=True, blank=True)
    proxy_cancel_confirmed_on = models.DateField("代理人設定の解除を確認した日", null=True, blank=True)
    number_change_advised_on = models.DateField("個人番号の変更・カード再交付を案内した日", null=True, blank=True)
    number_change_confirmed_on = models.DateField("個人番号の変更・カード再交付の完了を確認した日", null=True,
                                                  blank=True)
    state = models.CharField("状態", max_length=10, choices=HandoverState.choices, default=HandoverState.PENDING)
    offered_at = models.DateTimeField("申出日時")
    offered_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, verbose_name="申出者", on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    decided_at = models.DateTimeField("確認日時", null=True, blank=True)
    decided_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, verbose_name="確認者", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decline_reason = models.TextField("辞退の理由", blank=True)
    # Set the instant she is the new insurer's member (引継ぎによる仮設定), before the decision; kept after it.
    new_case = models.ForeignKey(ProtectionCase, verbose_name="引継ぎ先の設定対象者", on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="handovers_in")

    class Meta:
        verbose_name = "引継ぎ"
        verbose_name_plural = "引継ぎ"
        ordering = ["-offered_at"]
        constraints = [
            models.UniqueConstraint(fields=["from_case"], condition=models.Q(state="pending"),
                                    name="handover_one_pending_per_case"),
        ]
        # The inquiry's flag check asks whether a pending handover to the inquirer names the subject.
        indexes = [models.Index(fields=["to_institution", "person"], condition=models.Q(state="pending"),
                                name="handover_pending_idx")]

    def __str__(self) -> str:
        return f"引継ぎ {self.get_state_display()}"

    @property
    def is_pending(self) -> bool:
        return self.state == HandoverState.PENDING


class HandoverCompanion(models.Model):
    """A 同伴者 an offered handover names (flags.family.offer_companions); the new insurer adds the ones who are its
    members to the new case when it confirms (flags.family.carry_companions)."""

    handover = models.ForeignKey(Handover, verbose_name="引継ぎ", on_delete=models.PROTECT,
                                 related_name="companions")
    person = models.ForeignKey(Person, verbose_name="同伴者", on_delete=models.PROTECT, related_name="+")
    relation = models.CharField("続柄", max_length=20)

    class Meta:
        verbose_name = "引継ぎの同伴者"
        verbose_name_plural = "引継ぎの同伴者"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["handover", "person"], name="one_handover_companion")]

    def __str__(self) -> str:
        return f"引継ぎの同伴者（{self.relation}）"
