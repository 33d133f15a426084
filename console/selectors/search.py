"""被保険者検索: normalising what staff type, the trigram-backed contains, and which members are protected."""

import unicodedata

from django.db import connection, models
from django.db.models import F, Func

from flags.models import ProtectionCase, Setting
from members.models import Member, Person

SEARCH_LIMIT = 100


def normalize(text: str) -> str:
    """Half-width カナ and full-width letters/digits as staff may type them → the stored form (NFKC)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def to_katakana(text: str) -> str:
    """ひらがな typed into the カナ field is searched as カタカナ."""
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in normalize(text))


def tripled(text: str) -> str:
    """Every character three times, as the SQL function nakama_tripled writes it (members migration 0003)."""
    return "".join(c * 3 for c in text)


def _contains(qs, field: str, text: str):
    """`field` contains `text`; on PostgreSQL through the trigram index on (insurer_id, nakama_tripled(field)), which
    also serves a one- or two-character pattern such as a surname. The plain LIKE stays beside it as the exact
    condition."""
    qs = qs.filter(**{f"{field}__contains": text})
    if connection.vendor != "postgresql":
        return qs
    alias = f"{field}_tripled"
    return qs.alias(**{alias: Func(F(field), function="nakama_tripled", output_field=models.TextField())}).filter(
        **{f"{alias}__contains": tripled(text)}
    )


def search_members(
    user, *, branch_number: str = "", name: str = "", kana: str = "", symbol_number: str = ""
) -> models.QuerySet[Member]:
    """被保険者検索: 枝番 exact, 氏名・カナ contains (trigram indexes member_name_trgm_idx, member_kana_trgm_idx on
    PostgreSQL), 記号・番号 exact."""
    qs = Member.objects.visible_to(user)
    if branch_number:
        qs = qs.filter(branch_number=normalize(branch_number).upper())
    if name:
        qs = _contains(qs, "name", normalize(name))
    if kana:
        qs = _contains(qs, "kana", to_katakana(kana))
    if symbol_number:
        qs = qs.filter(symbol_number=normalize(symbol_number))
    return qs.order_by("kana", "branch_number")


def protected_member_ids(user, member_ids) -> set[int]:
    """Members (of the caller's insurer) with an open protection case or any active setting."""
    ids = list(member_ids)
    with_setting = (
        Setting.objects.visible_to(user).active().filter(member_id__in=ids).values_list("member_id", flat=True)
    )
    with_case = (
        ProtectionCase.objects.visible_to(user)
        .filter(member_id__in=ids, closed_at__isnull=True)
        .values_list("member_id", flat=True)
    )
    return set(with_setting) | set(with_case)


def is_protected(user, member: Member) -> bool:
    return member.pk in protected_member_ids(user, [member.pk])

def persons_matching(user, text: str) -> list[int]:
    """A person typed as 個人識別子 (exact) or as one of our members' 枝番 (exact)."""
    text = normalize(text).upper()
    ids = set(Person.objects.filter(sim_id=text).values_list("pk", flat=True))
    ids |= set(Member.objects.visible_to(user).filter(branch_number=text).values_list("person_id", flat=True))
    return list(ids)
