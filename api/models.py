"""What the API keeps for itself: the first answer to each Idempotency-Key (api/idempotency.py)."""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first result of a POST that sent or decided something, stored per API user under the client's key, in the
    same transaction as the act: a retry with the same key and body replays it instead of acting again."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="職員", on_delete=models.CASCADE, related_name="+")
    key = models.CharField("Idempotency-Key", max_length=255)
    request_hash = models.CharField("リクエストのハッシュ（SHA-256）", max_length=64)
    status_code = models.PositiveSmallIntegerField("ステータス")
    body = models.JSONField("応答本文")
    created_at = models.DateTimeField("日時", auto_now_add=True)

    class Meta:
        verbose_name = "冪等キー"
        verbose_name_plural = "冪等キー"
        constraints = [models.UniqueConstraint(fields=["staff", "key"], name="idempotency_key_per_staff")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_age_idx")]  # the daily purge

    def __str__(self) -> str:
        return f"{self.staff_id}:{self.key}"
