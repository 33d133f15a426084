"""情報提供等記録 kept by the simulated 情報提供NWS, and 追記依頼.

An ExchangeRecord can only be written inside exchanges.services (the choke point): saving, bulk-creating,
updating or deleting one anywhere else raises BypassError, so no page, API, import, admin or shell helper can
send an inquiry that skipped the 不開示該当フラグ check.
"""

import contextlib
import contextvars
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from exchanges import ids
from institutions.models import Department, Institution
from members.models import InfoItem, Person, Procedure, Replica
from nakama.compiled import CompiledInsert

_nws_write = contextvars.ContextVar("nakama_nws_write", default=False)


class BypassError(RuntimeError):
    """Raised when code outside exchanges.services tries to write an exchange record."""


@contextlib.contextmanager
def nws_write():
    """Used only by exchanges.services around its writes."""
    token = _nws_write.set(True)
    try:
        yield
    finally:
        _nws_write.reset(token)


def _guard() -> None:
    if not _nws_write.get():
        raise BypassError("情報提供等記録は exchanges.services（情報照会・情報提供の窓口）以外からは作成・変更できません。")


class GuardedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _guard()
        return super().update(**kwargs)

    def delete(self):
        _guard()
        return super().delete()

    def bulk_create(self, *args, **kwargs):
        _guard()
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args, **kwargs):
        _guard()
        return super().bulk_update(*args, **kwargs)


class ExchangeState(models.TextChoices):
    PENDING = "pending", "照会中"
    MANUAL = "manual", "手動応答待ち"
    PROVIDED = "provided", "提供済"
    DECLINED = "declined", "提供せず"


class CodeSource(models.TextChoices):
    NONE = "", "なし"
    AUTO = "auto", "自動設定"
    MANUAL = "manual", "手動設定"
    AT_COMPLETION = "completion", "完了時自動設定"  # 別紙1 ※2
    LINKED = "linked", "要注意照会対象"


class ExchangeRecordQuerySet(GuardedQuerySet):
    def visible_to(self, user):
        """Records in which the staff member's insurer took part, as inquirer or provider."""
        institution_id = getattr(user, "institution_id", None)
        if not institution_id:
            return self.none()
        return self.filter(models.Q(inquirer_id=institution_id) | models.Q(provider_id=institution_id))

    def by_id(self, pk):
        """Records with this id, the lookup bounded to the id's month when the id carries it (exchanges/ids.py), so
        PostgreSQL opens one monthly partition instead of all of them."""
        return self.filter(**ids.lookup(pk))

    def manual_queue(self, institution_id: int):
        return self.filter(provider_id=institution_id, state=ExchangeState.MANUAL)


class ExchangeRecord(models.Model):
    """情報提供等記録: one inquiry and its answer, as the NWS keeps it. The display fields are fixed when written."""

    # Made at the first save from inquired_at (exchanges/ids.py: the id names the record's month); None until then.
    id = models.UUIDField("記録ID", primary_key=True, default=None, editable=False)
    # Indexes only where a query reads by them: every index is written on every inquiry, and the planner weighs
    # each index of every monthly partition (issue 12). inquirer, provider and subject lead the composites below;
    # nothing reads records by staff, department, catalogue, case or 副本, and none of those rows is ever deleted
    # (PROTECT; staff are deactivated, not deleted).
    inquirer = models.ForeignKey(
        Institution, verbose_name="照会機関", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    inquirer_department = models.ForeignKey(
        Department, verbose_name="照会部署", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    provider = models.ForeignKey(
        Institution, verbose_name="提供機関", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    procedure = models.ForeignKey(
        Procedure, verbose_name="事務", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    item = models.ForeignKey(InfoItem, verbose_name="特定個人情報", on_delete=models.PROTECT, related_name="+", db_index=False)
    subject = models.ForeignKey(Person, verbose_name="対象者", on_delete=models.PROTECT, related_name="+", db_index=False)
    # As displayed on the record (renewal ②): 「社会保険診療報酬支払基金」 for insurers on the intermediate server.
    inquirer_display = models.CharField("照会機関（表示）", max_length=100)
    inquirer_department_display = models.CharField("情報照会者部署名（表示）", max_length=200, blank=True)
    provider_display = models.CharField("提供機関（表示）", max_length=100)
    state = models.CharField("状態", max_length=20, choices=ExchangeState.choices, default=ExchangeState.PENDING)
    inquired_at = models.DateTimeField("照会日時")
    provided_at = models.DateTimeField("提供日時", null=True, blank=True)
    inquired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="照会者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_index=False,
    )
    # 不開示コード on each side, and how it got there.
    inquiry_code = models.BooleanField("不開示コード（照会時）", default=False)
    inquiry_code_source = models.CharField(
        "照会時コード設定", max_length=10, choices=CodeSource.choices, blank=True, default=CodeSource.NONE
    )
    inquiry_code_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="照会時コード設定者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_index=False,
    )
    # 要注意照会対象: the inquirer's case that named the subject. Internal to the inquirer: never shown to the provider.
    inquiry_code_case = models.ForeignKey(
        "flags.ProtectionCase", verbose_name="照会時コードの根拠（設定対象者）", on_delete=models.PROTECT, null=True,
        blank=True, related_name="+", db_index=False,
    )
    provision_code = models.BooleanField("不開示コード（提供時）", default=False)
    provision_code_source = models.CharField(
        "提供時コード設定", max_length=10, choices=CodeSource.choices, blank=True, default=CodeSource.NONE
    )
    provision_code_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提供時コード設定者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_index=False,
    )
    replica = models.ForeignKey(
        Replica, verbose_name="提供元の副本", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    provided_content = models.JSONField("提供内容", null=True, blank=True)
    content_corrected = models.BooleanField("提供内容を手動で修正", default=False)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="手動応答者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_index=False,
    )
    decline_reason = models.TextField("提供しない理由", blank=True)
    appended_nondisclosure_at = models.DateTimeField("追記依頼（不開示）反映日時", null=True, blank=True)

    objects = ExchangeRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "情報提供等記録"
        verbose_name_plural = "情報提供等記録"
        ordering = ["-inquired_at", "-id"]
        # Django's internal paths (related lookups, refresh) use the base manager: guard it too, so
        # ExchangeRecord._base_manager.update(...) cannot skip the choke point.
        base_manager_name = "objects"
        # The NWS never forgets an exchange, and a 不開示コード or an applied 追記依頼 is never taken back: on
        # PostgreSQL plain SQL triggers refuse both (exchanges/migrations/0004_nondisclosure_triggers.py).
        indexes = [
            # マイナポータル やりとり履歴: one person's records by time.
            models.Index(fields=["subject", "-inquired_at"], name="exchange_subject_time_idx"),
            # Manual-response queue: one insurer's records in a state.
            models.Index(fields=["provider", "state", "inquired_at"], name="exchange_queue_idx"),
            # Staff history: one insurer's records by time, either side.
            models.Index(fields=["inquirer", "-inquired_at"], name="exchange_inquirer_time_idx"),
            models.Index(fields=["provider", "-inquired_at"], name="exchange_provider_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.item} {timezone.localtime(self.inquired_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        _guard()
        if self.id is None:
            self.id = ids.record_id(self.inquired_at or timezone.now())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _guard()
        return super().delete(*args, **kwargs)

    def insert(self) -> None:
        """The one INSERT of a new record, its id given (exchanges.answering.new_record): save(force_insert=True)
        with the SQL compiled once per connection (issue 20, nakama.compiled.CompiledInsert)."""
        _guard()
        _INSERT.insert(self)

    @property
    def state_label(self) -> str:
        """状態 in Japanese: get_state_display as an attribute (DRF reads a callable source's signature each time)."""
        return self.get_state_display()

    @property
    def handle_with_care(self) -> bool:
        """「取り扱い注意」: the record carries 不開示コード on either side (別添 ①: 「不開示コードがある情報は取り扱い注意」),
        or NWS marked it 不開示 after the fact through a 追記依頼 (別紙2 §4) — it is then just as sensitive."""
        return self.inquiry_code or self.provision_code or self.appended_nondisclosure_at is not None

    @property
    def is_appended(self) -> bool:
        """追記依頼 (不開示) applied by NWS."""
        return self.appended_nondisclosure_at is not None

    @property
    def is_complete(self) -> bool:
        return self.state == ExchangeState.PROVIDED


_INSERT = CompiledInsert(ExchangeRecord)


class AppendRequestStatus(models.TextChoices):
    PENDING = "pending", "依頼中"
    PROCESSED = "processed", "処理済"
    REJECTED = "rejected", "差戻し"


# A request NWS has not turned down: one per record and insurer (filing again is refused with this one).
LIVE_APPEND_STATUSES = (AppendRequestStatus.PENDING, AppendRequestStatus.PROCESSED)


class AppendRequest(models.Model):
    """追記依頼: an insurer asks NWS to mark an existing record 不開示 after the fact (別紙2 §4).

    NWS processes it later (exchanges.nws): until then the record stays visible in マイナポータル.
    """

    id = models.UUIDField("依頼ID", primary_key=True, default=uuid.uuid4, editable=False)
    # On PostgreSQL the records are partitioned by month: the database's foreign key is (record_id,
    # record_inquired_at) → (id, inquired_at), made by exchanges/migrations/0008.
    record = models.ForeignKey(
        ExchangeRecord, verbose_name="情報提供等記録", on_delete=models.PROTECT, related_name="append_requests",
        db_constraint=False,
    )
    record_inquired_at = models.DateTimeField("記録の照会日時", editable=False)
    institution = models.ForeignKey(Institution, verbose_name="依頼機関", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由")
    requested_at = models.DateTimeField("依頼日時")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="依頼者", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by_name = models.CharField("依頼者名", max_length=150, blank=True)
    status = models.CharField(
        "状態", max_length=10, choices=AppendRequestStatus.choices, default=AppendRequestStatus.PENDING
    )
    processed_at = models.DateTimeField("NWS処理日時", null=True, blank=True)  # 処理済 or 差戻し
    rejection_reason = models.TextField("差戻し理由（NWS）", blank=True)

    class Meta:
        verbose_name = "追記依頼"
        verbose_name_plural = "追記依頼"
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["institution", "-requested_at"], name="append_institution_idx"),
            models.Index(fields=["status", "requested_at"], name="append_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "institution"], condition=models.Q(status__in=["pending", "processed"]),
                name="append_one_live_per_record",
            ),
        ]

    def save(self, *args, **kwargs):
        if self.record_inquired_at is None:
            self.record_inquired_at = self.record.inquired_at
        super().save(*args, **kwargs)

    @property
    def is_pending(self) -> bool:
        return self.status == AppendRequestStatus.PENDING

    @property
    def age(self):
        """How long the request has waited (or waited) for NWS: the time the record stayed exposed."""
        return (self.processed_at or timezone.now()) - self.requested_at

    def __str__(self) -> str:
        return f"追記依頼 {timezone.localtime(self.requested_at):%Y-%m-%d %H:%M}"
