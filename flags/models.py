"""The member settings (不開示該当・自己情報提供不可・自動応答不可), protection cases and clearing requests."""

from django.conf import settings as django_settings
from django.db import models

from flags.policy import SETTING_LABELS, ActiveSetting, SettingKind
from institutions.models import FourEyesRequest, FourEyesState, Institution
from members.models import InfoItem, Member, Person

SettingKindChoices = models.TextChoices(
    "SettingKindChoices", [(kind.name, (kind.value, SETTING_LABELS[kind])) for kind in SettingKind]
)


class SettingSource(models.TextChoices):
    CONSOLE = "console", "画面"
    CASE = "case", "設定対象者の登録"  # the path (経路), not the person: 「青木 担当・設定対象者の登録で設定」
    API = "api", "API"
    IMPORT = "import", "CSV取込"
    PEER = "peer", "自治体（シミュレーション）"
    HANDOVER = "handover", "引継ぎによる仮設定"  # issue 17: set the instant she joins, before the 責任者 confirms


class SettingQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not getattr(user, "institution_id", None):
            return self.none()
        return self.filter(institution_id=user.institution_id)

    def active(self):
        return self.filter(cleared_at__isnull=True)


class Setting(models.Model):
    """One setting on one member, whole (item is null: 被保険者枝番単位) or one 特定個人情報 (特定個人情報単位).

    Set and cleared only through flags.services; a cleared setting stays as history with who, when and why.
    For a simulated municipality the setting is on a resident: `member` is empty and `person` is set.
    """

    institution = models.ForeignKey(Institution, verbose_name="設定機関", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        Member, verbose_name="被保険者", on_delete=models.PROTECT, null=True, blank=True, related_name="settings"
    )
    person = models.ForeignKey(Person, verbose_name="個人", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("設定種別", max_length=20, choices=SettingKindChoices.choices)
    item = models.ForeignKey(
        InfoItem,
        verbose_name="特定個人情報",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="空欄は被保険者枝番単位（全体）",
    )
    source = models.CharField("設定経路", max_length=20, choices=SettingSource.choices, default=SettingSource.CONSOLE)
    case = models.ForeignKey(
        "flags.ProtectionCase", verbose_name="設定対象者", on_delete=models.PROTECT, null=True, blank=True,
        related_name="settings",
    )
    reason = models.TextField("設定理由")
    set_at = models.DateTimeField("設定日時")
    set_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="設定者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    set_by_name = models.CharField("設定者名", max_length=150, blank=True)
    cleared_at = models.DateTimeField("解除日時", null=True, blank=True)
    # 解除者 is the supervisor who APPROVED the clearing (four eyes); the requester is kept beside it.
    cleared_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="解除者（承認者）", on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )
    cleared_by_name = models.CharField("解除者名（承認者）", max_length=150, blank=True)
    clear_requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="解除依頼者", on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )
    clear_requested_by_name = models.CharField("解除依頼者名", max_length=150, blank=True)
    clear_reason = models.TextField("解除理由", blank=True)

    objects = SettingQuerySet.as_manager()

    class Meta:
        verbose_name = "不開示該当フラグ等の設定"
        verbose_name_plural = "不開示該当フラグ等の設定"
        ordering = ["-set_at", "-id"]
        indexes = [
            models.Index(fields=["institution", "person", "cleared_at"], name="setting_lookup_idx"),
            models.Index(fields=["institution", "kind", "cleared_at"], name="setting_export_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "person", "kind"],
                condition=models.Q(cleared_at__isnull=True, item__isnull=True),
                name="one_active_whole_setting",
            ),
            models.UniqueConstraint(
                fields=["institution", "person", "kind", "item"],
                condition=models.Q(cleared_at__isnull=True, item__isnull=False),
                name="one_active_item_setting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.scope_label}）"

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None

    @property
    def scope_label(self) -> str:
        return self.item.name if self.item_id else "全体"

    @property
    def state_label(self) -> str:
        return "設定中" if self.is_active else "解除済"

    def as_policy(self) -> ActiveSetting:
        return ActiveSetting(kind=SettingKind(self.kind), item_code=self.item.code if self.item_id else None)


# The shared four-eyes request lives a floor down (institutions), with RoleGrantRequest.
ClearingRequestState = FourEyesState


class ClearingRequest(FourEyesRequest):
    """A request to clear a setting. A supervisor other than the requester approves it (four eyes)."""

    setting = models.ForeignKey(Setting, verbose_name="設定", on_delete=models.PROTECT, related_name="clearing_requests")
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("解除理由")
    # 別紙2 §3 ①: a 責任者 may ask to clear before カード停止等手続 is confirmed, stating why (recorded, audited).
    override_reason = models.TextField("手続完了前の解除理由（責任者）", blank=True)
    override_by_name = models.CharField("手続完了前の解除を判断した責任者", max_length=150, blank=True)

    class Meta:
        verbose_name = "解除依頼"
        verbose_name_plural = "解除依頼"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["setting"], condition=models.Q(state="pending"), name="one_pending_clearing_per_setting"
            )
        ]

    def __str__(self) -> str:
        return f"解除依頼: {self.setting}"


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


class CaseLinkedPersonQuerySet(SettingQuerySet):
    def in_force(self):
        return self.filter(removed_at__isnull=True)


class CaseLinkedPerson(models.Model):
    """要注意照会対象: a person who must not learn where the protected person is (the abuser and others).

    Every inquiry our insurer sends about a linked person of an open case carries 不開示コード by the system (our
    extension of 別紙2 §3 ② and §4). Added by staff at any time; removed only through a LinkRemovalRequest that a
    supervisor other than the requester approves. A removed link stays as history.
    """

    case = models.ForeignKey(
        ProtectionCase, verbose_name="設定対象者", on_delete=models.PROTECT, related_name="linked_persons"
    )
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, verbose_name="要注意照会対象者", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("登録理由")
    added_at = models.DateTimeField("登録日時")
    added_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    added_by_name = models.CharField("登録者名", max_length=150, blank=True)
    removed_at = models.DateTimeField("削除日時", null=True, blank=True)

    objects = CaseLinkedPersonQuerySet.as_manager()

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

    @property
    def is_in_force(self) -> bool:
        return self.removed_at is None


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

    objects = CaseLinkedPersonQuerySet.as_manager()

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


class CaseCompanionQuerySet(SettingQuerySet):
    def in_force(self):
        return self.filter(removed_at__isnull=True)


class CaseCompanion(models.Model):
    """同伴者: a member of our insurer who fled with the protected person (a child or another; 別紙2 §2 covers 虐待
    victims too). The case's protections are set on them, its linked persons apply to them, and the sweep and the
    handover cover them (flags.family). Removed only through a CompanionRemovalRequest (four eyes)."""

    case = models.ForeignKey(ProtectionCase, verbose_name="設定対象者", on_delete=models.PROTECT,
                             related_name="companions")
    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, verbose_name="同伴者（被保険者）", on_delete=models.PROTECT, related_name="+")
    relation = models.CharField("続柄", max_length=20)
    reason = models.TextField("登録理由")
    added_at = models.DateTimeField("登録日時")
    added_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    added_by_name = models.CharField("登録者名", max_length=150, blank=True)
    removed_at = models.DateTimeField("削除日時", null=True, blank=True)

    objects = CaseCompanionQuerySet.as_manager()

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

    @property
    def is_in_force(self) -> bool:
        return self.removed_at is None


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

