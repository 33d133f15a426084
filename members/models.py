"""Persons of the simulated country, insured members (被保険者), the 特定個人情報 / 事務 catalogues and 副本."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast

from institutions.models import Institution

SIM_ID_PREFIX = "SIM-"
_SIM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # letters only, so it never looks like a 12-digit 個人番号


def new_sim_id() -> str:
    return SIM_ID_PREFIX + "".join(secrets.choice(_SIM_ALPHABET) for _ in range(4)) + "-" + "".join(
        secrets.choice(_SIM_ALPHABET) for _ in range(4)
    )


class Person(models.Model):
    """A simulated person. `sim_id` stands in for the 個人番号 and is deliberately not real-looking.

    Staff type it in to inquire about a non-member; there is no list or search of non-members.
    """

    sim_id = models.CharField("シミュレーション個人識別子", max_length=20, unique=True, default=new_sim_id)
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("カナ氏名", max_length=100, blank=True)
    birth_date = models.DateField("生年月日", null=True, blank=True)

    class Meta:
        verbose_name = "個人（シミュレーション）"
        verbose_name_plural = "個人（シミュレーション）"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.sim_id}）"


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Members of the caller's insurer only; nothing for anyone else."""
        if not getattr(user, "institution_id", None):
            return self.none()
        # Typed bigint like the column: the trigram indexes lead with insurer_id through btree_gin, whose int8
        # operator class has no bigint = integer operator (members migration 0003).
        return self.filter(insurer_id=Cast(Value(user.institution_id), output_field=models.BigIntegerField()))


class Member(models.Model):
    """被保険者 of one insurer. 被保険者枝番 (branch_number) is unique within the insurer."""

    insurer = models.ForeignKey(Institution, verbose_name="保険者", on_delete=models.PROTECT, related_name="members")
    branch_number = models.CharField("被保険者枝番", max_length=20)
    person = models.ForeignKey(Person, verbose_name="個人", on_delete=models.PROTECT, related_name="memberships")
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("カナ氏名", max_length=100)
    birth_date = models.DateField("生年月日")
    symbol_number = models.CharField("記号・番号", max_length=40, blank=True)
    acquired_on = models.DateField("資格取得日")
    lost_on = models.DateField("資格喪失日", null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "被保険者"
        verbose_name_plural = "被保険者"
        ordering = ["insurer_id", "branch_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "branch_number"],
                name="unique_branch_number_per_insurer",
                violation_error_message="この保険者には同じ被保険者枝番がすでに登録されています。",
            ),
        ]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for a prefix LIKE (カナ前方一致, 枝番).
            models.Index(
                fields=["insurer", "kana"], name="member_kana_prefix_idx", opclasses=["int8_ops", "varchar_pattern_ops"]
            ),
            models.Index(fields=["insurer", "symbol_number"], name="member_symbol_idx"),
            models.Index(fields=["person"], name="member_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（枝番 {self.branch_number}）"


class InfoItem(models.Model):
    """特定個人情報 kind, e.g. 医療保険資格関係情報."""

    code = models.CharField("コード", max_length=40, unique=True)
    name = models.CharField("特定個人情報名", max_length=100)
    portal_group = models.CharField("マイナポータル表示区分", max_length=40, help_text="例: 健康保険")

    class Meta:
        verbose_name = "特定個人情報"
        verbose_name_plural = "特定個人情報"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """事務: the legal business purpose of an exchange, with the item kinds it may request."""

    code = models.CharField("コード", max_length=40, unique=True)
    name = models.CharField("事務名", max_length=200)
    items = models.ManyToManyField(InfoItem, verbose_name="照会可能な特定個人情報", related_name="procedures")

    class Meta:
        verbose_name = "事務"
        verbose_name_plural = "事務"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Replica(models.Model):
    """副本: the copy of one item kind an institution registers about a person. Never updated: history is kept,
    the latest registration answers. `member` is set for an insurer's member; a municipality's data has none."""

    institution = models.ForeignKey(Institution, verbose_name="登録機関", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, verbose_name="個人", on_delete=models.PROTECT, related_name="replicas")
    member = models.ForeignKey(
        Member, verbose_name="被保険者", on_delete=models.PROTECT, null=True, blank=True, related_name="replicas"
    )
    item = models.ForeignKey(InfoItem, verbose_name="特定個人情報", on_delete=models.PROTECT, related_name="+")
    content = models.JSONField("内容")
    registered_at = models.DateTimeField("登録日時", db_index=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登録者", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = "副本"
        verbose_name_plural = "副本"
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["institution", "person", "item", "-registered_at"], name="replica_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item} / {self.person.name}"
