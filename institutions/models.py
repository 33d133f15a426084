"""Institutions on the simulated 情報提供NWS (insurers and municipalities), their departments, and staff."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from institutions.insurer_number import insurer_number_error

# Every insurer on the 医療保険者等向け中間サーバー appears on NWS records under the fund's name (renewal ②).
FUND_DISPLAY_NAME = "社会保険診療報酬支払基金"


class InstitutionKind(models.TextChoices):
    HEALTH_INSURANCE_SOCIETY = "kenpo_kumiai", "健康保険組合"
    KYOKAI_KENPO = "kyokai_kenpo", "全国健康保険協会（協会けんぽ）"
    MUTUAL_AID = "kyosai", "共済組合"
    LATE_ELDERLY_UNION = "koki_kourei", "後期高齢者医療広域連合"
    MUNICIPAL_NHI = "shichoson_kokuho", "市町村国保"
    NHI_SOCIETY = "kokuho_kumiai", "国保組合"
    MUNICIPALITY = "municipality", "市町村（自治体中間サーバー）"


EIGHT_DIGIT_KINDS = {
    InstitutionKind.HEALTH_INSURANCE_SOCIETY,
    InstitutionKind.KYOKAI_KENPO,
    InstitutionKind.MUTUAL_AID,
    InstitutionKind.LATE_ELDERLY_UNION,
}
SIX_DIGIT_KINDS = {InstitutionKind.MUNICIPAL_NHI, InstitutionKind.NHI_SOCIETY}


class Server(models.TextChoices):
    """Which intermediate server an institution sits behind; each has its own 不開示コード rule."""

    INSURERS = "insurers", "医療保険者等向け中間サーバー"
    MUNICIPAL = "municipal", "自治体中間サーバー"


class InstitutionQuerySet(models.QuerySet):
    def insurers(self):
        return self.exclude(kind=InstitutionKind.MUNICIPALITY)

    def municipalities(self):
        return self.filter(kind=InstitutionKind.MUNICIPALITY)

    def tenants(self):
        return self.filter(is_tenant=True)


class Institution(models.Model):
    """保険者 or 市町村: a party of exchanges. Tenants are the insurers whose staff use this Nakama."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("種別", max_length=20, choices=InstitutionKind.choices)
    insurer_number = models.CharField("保険者番号", max_length=8, blank=True, db_index=True)
    is_tenant = models.BooleanField(
        "Nakama利用保険者", default=False, help_text="この中間サーバーを利用し、職員がいる保険者"
    )
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = "機関（保険者・市町村）"
        verbose_name_plural = "機関（保険者・市町村）"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer_number"], condition=~models.Q(insurer_number=""), name="unique_insurer_number"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_insurer(self) -> bool:
        return self.kind != InstitutionKind.MUNICIPALITY

    @property
    def server(self) -> str:
        return Server.MUNICIPAL if self.kind == InstitutionKind.MUNICIPALITY else Server.INSURERS

    @property
    def nws_display_name(self) -> str:
        """The institution as 照会機関 / 提供機関 on an NWS record (renewal ②)."""
        return FUND_DISPLAY_NAME if self.server == Server.INSURERS else self.name

    def clean(self) -> None:
        if self.kind == InstitutionKind.MUNICIPALITY:
            if self.insurer_number:
                raise ValidationError({"insurer_number": "市町村には保険者番号を設定できません。"})
            return
        expected = 8 if self.kind in EIGHT_DIGIT_KINDS else 6
        error = insurer_number_error(self.insurer_number or "", expected)
        if error:
            raise ValidationError({"insurer_number": error})


class Department(models.Model):
    """部署 of an institution, e.g. 業務部."""

    institution = models.ForeignKey(Institution, verbose_name="機関", on_delete=models.PROTECT, related_name="departments")
    name = models.CharField("部署名", max_length=100)

    class Meta:
        verbose_name = "部署"
        verbose_name_plural = "部署"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["institution", "name"], name="unique_department_name")]

    def __str__(self) -> str:
        return f"{self.institution.name} {self.name}"

    @property
    def nws_display_name(self) -> str:
        """情報照会者部署名 on a record: 「<保険者名> <部署名>」 for insurers (renewal ②), the bare name otherwise."""
        if self.institution.server == Server.INSURERS:
            return f"{self.institution.name} {self.name}"
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", "担当者"
    SUPERVISOR = "supervisor", "責任者"
    AUDITOR = "auditor", "監査者"


class DateStyle(models.TextChoices):
    WAREKI = "wareki", "和暦（令和8年11月27日）"
    SEIREKI = "seireki", "西暦（2026年11月27日）"


class StaffOrigin(models.TextChoices):
    """How an account came to exist (its provenance, 登録の経緯): four eyes look at who made whom."""

    CONSOLE = "console", "責任者が登録（画面）"
    ROLE_GRANT = "role_grant", "役割付与の依頼を承認して登録"
    COMMAND = "command", "運用者が登録（管理コマンド）"
    DEMO = "demo", "デモデータ"
    SIM = "sim", "シミュレーションAPI"
    UNKNOWN = "unknown", "不明（記録の開始前）"


class Staff(AbstractUser):
    """A staff account: one insurer, one department, one role. The server operator is a superuser without one.

    Provenance (登録の経緯): who asked for the account (created_by) and for its current role (role_requested_by);
    earlier promotions are the approved RoleGrantRequests naming it. institutions.access reads all three.
    """

    institution = models.ForeignKey(
        Institution, verbose_name="保険者", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    department = models.ForeignKey(
        Department, verbose_name="部署", on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField("役割", max_length=20, choices=Role.choices, blank=True)
    display_name = models.CharField("氏名", max_length=100, blank=True)
    # When the current role was granted and at whose request (four eyes: institutions.access).
    role_granted_at = models.DateTimeField("役割の付与日時", default=timezone.now)
    role_requested_by = models.ForeignKey(
        "self", verbose_name="役割付与の依頼者", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role_approved_by = models.ForeignKey(
        "self", verbose_name="役割付与の承認者", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who asked for this account to exist (PROTECT: provenance must not vanish; accounts are deactivated, not deleted).
    created_by = models.ForeignKey(
        "self", verbose_name="登録を依頼した職員", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_via = models.CharField(
        "登録の経緯", max_length=20, choices=StaffOrigin.choices, default=StaffOrigin.UNKNOWN
    )
    # 表示設定: how dates are written on the console (the portal always uses 和暦).
    date_style = models.CharField(
        "日付の表示", max_length=10, choices=DateStyle.choices, default=DateStyle.WAREKI
    )

    class Meta:
        verbose_name = "職員"
        verbose_name_plural = "職員"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_insurer_staff(self) -> bool:
        return self.institution_id is not None and self.role in Role.values

    @property
    def can_change(self) -> bool:
        return self.role in (Role.CLERK, Role.SUPERVISOR)

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    def clean(self) -> None:
        super().clean()
        if self.role and not self.institution_id:
            raise ValidationError({"institution": "職員には保険者が必要です。"})
        if self.department_id and self.department.institution_id != self.institution_id:
            raise ValidationError({"department": "部署は同じ保険者のものを選んでください。"})


# Roles that a single 責任者 cannot grant: another 責任者 (or the operator) approves (institutions.services).
ELEVATED_ROLES = frozenset({Role.SUPERVISOR, Role.AUDITOR})


class FourEyesState(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済"
    REJECTED = "rejected", "却下"


class InstitutionScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not getattr(user, "institution_id", None):
            return self.none()
        return self.filter(institution_id=user.institution_id)


class FourEyesRequest(models.Model):
    """What every four-eyes request shares (解除依頼, 終了依頼, 削除依頼, 役割付与の依頼): who asked and when, and who
    decided — someone independent of the requester by provenance (institutions.access.require_independent_approver)
    — when and with what note. Each concrete request has an `institution`."""

    state = models.CharField("状態", max_length=20, choices=FourEyesState.choices, default=FourEyesState.PENDING)
    requested_at = models.DateTimeField("依頼日時")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="依頼者", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_by_name = models.CharField("依頼者名", max_length=150, blank=True)
    decided_at = models.DateTimeField("承認・却下日時", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="承認者", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_by_name = models.CharField("承認者名", max_length=150, blank=True)
    decision_note = models.TextField("承認・却下メモ", blank=True)

    objects = InstitutionScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class RoleGrantRequestState(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済"
    DECLINED = "declined", "却下"


class RoleGrantRequest(FourEyesRequest):
    """A request to create a 責任者 / 監査者 account, or to change an existing account's role (役割付与の依頼).

    Nothing takes effect until another 責任者 of the insurer (or the operator) approves it. For a new account the
    chosen password is kept only as a hash, and cleared once the request is decided.
    """

    institution = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        Staff, verbose_name="対象の職員", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="既存の職員の役割変更のとき。新規登録では承認時に作成される職員。",
    )
    is_new_account = models.BooleanField("新規登録", default=False)
    username = models.CharField("ユーザー名", max_length=150)
    display_name = models.CharField("氏名", max_length=100)
    department = models.ForeignKey(
        Department, verbose_name="部署", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    password_hash = models.CharField("初期パスワード（ハッシュ）", max_length=128, blank=True, editable=False)
    role_before = models.CharField("変更前の役割", max_length=20, choices=Role.choices, blank=True)
    role = models.CharField("付与する役割", max_length=20, choices=Role.choices)
    reason = models.TextField("理由")
    # Its own word for a refusal (却下 stored as "declined" since before it joined FourEyesRequest).
    state = models.CharField(
        "状態", max_length=20, choices=RoleGrantRequestState.choices, default=RoleGrantRequestState.PENDING
    )

    class Meta:
        verbose_name = "役割付与の依頼"
        verbose_name_plural = "役割付与の依頼"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["institution", "state"], name="role_grant_institution_idx")]

    def __str__(self) -> str:
        kind = "新規登録" if self.is_new_account else "役割変更"
        return f"{kind} {self.display_name}（{self.get_role_display()}）"
