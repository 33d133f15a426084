"""The member settings (不開示該当・自己情報提供不可・自動応答不可) and the four-eyes requests that clear them."""

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
