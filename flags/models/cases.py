"""設定対象者 (protection cases), their closing (four eyes) and their 担当 staff; the base of the persons a case names."""

from django.conf import settings as django_settings
from django.db import models

from flags.models.settings import SettingQuerySet
from institutions.models import FourEyesRequest, Institution
from members.models import Member


class InForceQuerySet(SettingQuerySet):
    """Rows of a case kept as history: `in_force()` are those not removed."""

    def in_force(self):
        return self.filter(removed_at__isnull=True)


class ProtectionCase(models.Model):
    """設定対象者 (別紙2 §2–3): a DV・虐待等被害者 who is our member, and what was confirmed and advised."""

    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, verbose_name="被保険者", on_delete=models.PROTECT, related_name="protection_cases")
    # 別紙2 §2: ア and イ confirmed; ウ requested, or the need is evident without a request.
    victim_confirmed = models.BooleanField("ア DV・虐待等被害者である（確認済）", default=False)
    fled_confirmed = models.BooleanField("イ 加害者の下から避難している（確認済）", default=False)
    requested_by_person = models.BooleanField("ウ 本人からの申出あり", default=False)
    need_evident = models.BooleanField(
        "申出はないが設定を要することが明らか（あらかじめ把握している場合を含む）", default=False
    )
    request_date = models.DateField("申出日", null=True, blank=True)
    # 別紙2 §3.
    case_card_or_proxy = models.BooleanField(
        "ケース① カードが加害者の手元にある／加害者が代理人", default=False
    )
    case_inquiry_about_abuser = models.BooleanField("ケース② 加害者に係る情報照会を行う", default=False)
    no_auto_response_wanted = models.BooleanField("自動応答を望まない（自動応答不可フラグ）", default=False)
    # カード停止等手続 checklist (別紙2 §3 ①), as dates: when it was advised, when completion was confirmed.
    card_suspension_advised_on = models.DateField("カード停止を案内した日", null=True, blank=True)
    card_suspension_confirmed_on = models.DateField("カード停止の完了を確認した日", null=True, blank=True)
    proxy_cancel_advised_on = models.DateField("代理人設定の解除を案内した日", null=True, blank=True)
    proxy_cancel_confirmed_on = models.DateField(
        "代理人設定の解除（又は代理人設定がないこと）を確認した日", null=True, blank=True
    )
    number_change_advised_on = models.DateField("個人番号の変更・カード再交付を案内した日", null=True, blank=True)
    number_change_confirmed_on = models.DateField(
        "個人番号の変更・カード再交付の完了を確認した日", null=True, blank=True
    )
    # 「対象外」: only the proxy was the threat (her card was never with him), so no suspension is asked; why is kept.
    card_suspension_not_applicable = models.BooleanField("カード停止は対象外（代理人設定のみが問題）", default=False)
    card_suspension_not_applicable_reason = models.TextField("カード停止を対象外とする理由", blank=True)
    notes = models.TextField("備考", blank=True)
    opened_at = models.DateTimeField("登録日時")
    opened_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Never expires by itself: on this date staff review whether the protection is still needed.
    review_on = models.DateField("見直し日")
    closed_at = models.DateTimeField("終了日時", null=True, blank=True)
    closed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="終了の承認者", on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )
    closed_by_name = models.CharField("終了の承認者名", max_length=150, blank=True)
    close_reason = models.TextField("終了理由", blank=True)

    objects = SettingQuerySet.as_manager()

    class Meta:
        verbose_name = "設定対象者（保護ケース）"
        verbose_name_plural = "設定対象者（保護ケース）"
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open case per member (a second registration is refused with a link to the open one).
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(closed_at__isnull=True), name="one_open_case_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"設定対象者: {self.member.name}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CaseClosure(FourEyesRequest):
    """A request to close a protection case, approved by a supervisor other than the requester (four eyes).

    When `clear_settings` is set, the settings the case set and still in force are cleared in the approved step.
    """

    case = models.ForeignKey(ProtectionCase, verbose_name="設定対象者", on_delete=models.PROTECT, related_name="closures")
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("終了理由")
    clear_settings = models.BooleanField("この設定対象者で設定したフラグを同時に解除する", default=False)
    override_reason = models.TextField("手続完了前の解除理由（責任者）", blank=True)
    override_by_name = models.CharField("手続完了前の解除を判断した責任者", max_length=150, blank=True)

    class Meta:
        verbose_name = "設定対象者の終了依頼"
        verbose_name_plural = "設定対象者の終了依頼"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(state="pending"), name="one_pending_closure_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"終了依頼: {self.case}"


class CaseStaff(models.Model):
    """担当: a staff member in charge of a case (issue 17 point 6). Anyone else of the insurer who opens her pages,
    previews her portal or sends an inquiry about her or a linked person gives a reason first (break the glass).

    The registering clerk (opened_by) is 担当 by default, without a row; a 責任者 adds others or removes anyone
    (a removal of the registering clerk is a row with removed_at). Rows are history: a removal sets removed_at.
    """

    case = models.ForeignKey(ProtectionCase, verbose_name="設定対象者", on_delete=models.PROTECT, related_name="staff")
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="担当者", on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField("追加日時")
    added_by_name = models.CharField("追加者名", max_length=150, blank=True)
    removed_at = models.DateTimeField("外した日時", null=True, blank=True)
    removed_by_name = models.CharField("外した者の名前", max_length=150, blank=True)

    objects = InForceQuerySet.as_manager()

    class Meta:
        verbose_name = "担当"
        verbose_name_plural = "担当"
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "staff"], condition=models.Q(removed_at__isnull=True), name="one_live_case_staff"
            )
        ]

    def __str__(self) -> str:
        return f"担当（設定対象者 第{self.case_id}号）"


class PersonOnCase(models.Model):
    """What a person a case names shares, whether a linked person (要注意照会対象者) or a 同伴者: the insurer, why,
    who added them and when; removed only through a four-eyes request, and a removed row stays as history.
    Each concrete model adds its `case` (with its own related name) and the person."""

    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("登録理由")
    added_at = models.DateTimeField("登録日時")
    added_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    added_by_name = models.CharField("登録者名", max_length=150, blank=True)
    removed_at = models.DateTimeField("削除日時", null=True, blank=True)

    objects = InForceQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_in_force(self) -> bool:
        return self.removed_at is None
