"""The audit trail (監査証跡): one append-only table, written by services in their own transaction."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from institutions.models import Institution


class ChainField(models.CharField):
    """Read back from the INSERT (RETURNING): on PostgreSQL the database sets the link (audit/chain_sql.py)."""

    db_returning = True


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not getattr(user, "institution_id", None):
            return self.none()
        return self.filter(institution_id=user.institution_id)


class AuditEntry(models.Model):
    """One audited act: who, when, for which insurer, what, on what, before/after, why.

    Rows are never updated or deleted: the application has no path that does it, the admin is read-only, and on
    PostgreSQL a trigger refuses UPDATE and DELETE in the database itself (audit/migrations/0003_hash_chain.py) and
    the runtime role has no UPDATE, DELETE or TRUNCATE grant (audit/db_roles.py). Each entry carries the hash of the
    one before it (audit/chain.py), so an entry changed or removed by the table's owner is found by verify_audit. On
PostgreSQL the database links and hashes every entry itself (audit/chain_sql.py), the app's and its own.
    """

    # Set by audit.services.record before the hash is computed (auto_now_add would overwrite it at save).
    at = models.DateTimeField("日時", default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実行者", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField("実行者名", max_length=150, blank=True)
    institution = models.ForeignKey(
        Institution, verbose_name="保険者", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    request_id = models.CharField("リクエストID", max_length=64, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("対象種別", max_length=64, blank=True)
    target_id = models.CharField("対象ID", max_length=64, blank=True)
    target_repr = models.CharField("対象", max_length=255, blank=True)
    before = models.JSONField("変更前", null=True, blank=True)
    after = models.JSONField("変更後", null=True, blank=True)
    message = models.TextField("理由・内容", blank=True)
    prev_hash = ChainField("直前の記録のハッシュ", max_length=64, blank=True, editable=False)
    entry_hash = ChainField("記録のハッシュ", max_length=64, blank=True, editable=False)
    # PostgreSQL: the transaction that wrote it (set by the chain trigger), so an entry the database wrote for a
    # direct change can be told from one beside the app's own entry of the same transaction.
    db_transaction = models.BigIntegerField("DBトランザクション", null=True, blank=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "監査証跡"
        verbose_name_plural = "監査証跡"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["institution", "-at"], name="audit_institution_at_idx"),
            # The head of an institution's chain (audit/chain_sql.py: one chain per institution).
            models.Index(fields=["institution", "id"], name="audit_chain_head_idx"),
            # The head of the server's own chain: `institution_id IS NULL` is no equality, so the index above cannot
            # give its rows in id order (every append would read and sort the whole server chain).
            models.Index(fields=["id"], condition=models.Q(institution__isnull=True), name="audit_server_head_idx"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
