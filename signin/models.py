"""Who made each API token, and how (issue 18 ③): beside knox's AuthToken, which holds only its digest."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TokenOrigin(models.TextChoices):
    CONSOLE = "console", "本人がコンソールで発行（二要素認証の後）"
    COMMAND = "command", "運用者が管理コマンドで発行"
    SIM = "sim", "シミュレーションAPI"


class ApiTokenProvenance(models.Model):
    """One knox token's provenance. A token without one (made before this was recorded, or by hand) counts as the
    operator's: it never decides a four-eyes request and never authenticates a 責任者 or 監査者 (signin.tokens)."""

    token = models.OneToOneField(
        "knox.AuthToken", verbose_name="APIトークン", primary_key=True, on_delete=models.CASCADE,
        related_name="provenance",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="発行した人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    made_via = models.CharField("発行経路", max_length=20, choices=TokenOrigin.choices)
    made_at = models.DateTimeField("発行日時", default=timezone.now)

    class Meta:
        verbose_name = "APIトークンの発行記録"
        verbose_name_plural = "APIトークンの発行記録"

    def __str__(self) -> str:
        return self.get_made_via_display()
