"""The simulated マイナンバーカード and マイナポータル 代理人 settings."""

from django.db import models

from members.models import Person

MAX_PIN_ATTEMPTS = 3  # as on the real card: three wrong PINs lock it


class Card(models.Model):
    """A simulated My Number card. The PIN is stored hashed; a suspended, locked or replaced card cannot sign in."""

    person = models.ForeignKey(Person, verbose_name="個人", on_delete=models.PROTECT, related_name="cards")
    card_number = models.CharField("カード識別子", max_length=32, unique=True)
    pin_hash = models.CharField("暗証番号（ハッシュ）", max_length=256)
    failed_attempts = models.PositiveSmallIntegerField("暗証番号の連続誤り回数", default=0)
    locked_at = models.DateTimeField("ロック日時", null=True, blank=True)
    suspended_at = models.DateTimeField("停止日時", null=True, blank=True)
    replaced_at = models.DateTimeField("再交付により失効した日時", null=True, blank=True)
    issued_at = models.DateTimeField("交付日時", auto_now_add=True)

    class Meta:
        verbose_name = "マイナンバーカード（シミュレーション）"
        verbose_name_plural = "マイナンバーカード（シミュレーション）"
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"カード {self.card_number}"

    @property
    def usable(self) -> bool:
        return self.locked_at is None and self.suspended_at is None and self.replaced_at is None


class Proxy(models.Model):
    """代理人: `agent` may act for `principal` in マイナポータル. Only the principal removes it; card suspension doesn't."""

    principal = models.ForeignKey(Person, verbose_name="本人", on_delete=models.PROTECT, related_name="proxies")
    agent = models.ForeignKey(Person, verbose_name="代理人", on_delete=models.PROTECT, related_name="principals")
    created_at = models.DateTimeField("設定日時", auto_now_add=True)
    removed_at = models.DateTimeField("解除日時", null=True, blank=True)

    class Meta:
        verbose_name = "代理人設定"
        verbose_name_plural = "代理人設定"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "agent"], condition=models.Q(removed_at__isnull=True), name="one_active_proxy"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent.name} → {self.principal.name}"
