"""On PostgreSQL the 枝番 lookup uses its unique index, and 氏名・カナ contains the trigram indexes on
(insurer_id, nakama_tripled(…)) (members migration 0003), a two-character surname included. Test tables are small, so
sequential scans are switched off."""

import datetime

from django.db import connection
from django.db.models import F, Func, TextField

from console import selectors as console_selectors
from console.selectors import search_members
from members.models import Member, Person


def _members(insurer, n=300, prefix="IDX"):
    """Enough rows with varied カナ that the planner's statistics tell the indexes apart."""
    kana = "アイウエオカキクケコサシスセソタチツテト"
    kanji = "佐藤鈴木高橋田中伊渡辺山本小林加吉松井森"
    persons = Person.objects.bulk_create(
        [
            Person(sim_id=f"SIM-{prefix}{i:05d}", name=f"{kanji[i % 20]}{kanji[(i // 20) % 20]} 個人{i}",
                   kana=f"{kana[i % 20]}{kana[(i // 20) % 20]} テスト")
            for i in range(n)
        ]
    )
    Member.objects.bulk_create([
        Member(insurer=insurer, person=p, branch_number=f"B{i:07d}", name=p.name, kana=p.kana,
               birth_date=datetime.date(1980, 1, 1), acquired_on=datetime.date(2020, 4, 1))
        for i, p in enumerate(persons)
    ])


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Rows inserted after CREATE INDEX wait in the GIN pending list (fastupdate), which the planner prices
        # high; at scale VACUUM has merged it, here we merge it by hand.
        cursor.execute("SELECT gin_clean_pending_list('member_name_trgm_idx'), gin_clean_pending_list('member_kana_trgm_idx')")
        cursor.execute("ANALYZE members_member")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


def test_branch_number_lookup_uses_an_index(requires_postgres, alice, insurer_a):
    _members(insurer_a)
    plan = _plan(search_members(alice, branch_number="B0000001"))
    assert "Index Scan" in plan or "Index Only Scan" in plan or "Bitmap Index Scan" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_two_character_surname_search_uses_the_name_trigram_index(requires_postgres, alice, insurer_a, insurer_b):
    _members(insurer_a, n=3000)  # enough rows that the insurer's own index is the dearer path, as at scale
    _members(insurer_b, n=3000, prefix="OTH")  # another insurer's namesakes: never read
    queryset = search_members(alice, name="佐藤")  # two characters: pg_trgm alone would extract no trigram
    plan = _plan(queryset)
    assert "member_name_trgm_idx" in plan, plan
    assert "Index Cond: ((insurer_id = " in plan, plan  # only our insurer's entries are read
    assert "Seq Scan" not in plan, plan
    assert [m.name for m in queryset] == [f"佐藤 個人{i}" for i in range(20, 3000, 400)]


def test_kana_contains_search_uses_the_kana_trigram_index(requires_postgres, alice, insurer_a, insurer_b):
    _members(insurer_a, n=3000)
    _members(insurer_b, n=3000, prefix="OTH")
    queryset = search_members(alice, kana="しさ")  # ひらがな typed, searched as カタカナ, anywhere in the カナ
    plan = _plan(queryset)
    assert "member_kana_trgm_idx" in plan, plan
    assert "Index Cond: ((insurer_id = " in plan, plan
    assert "Seq Scan" not in plan, plan
    assert {m.kana for m in queryset} == {"シサ テスト"}
    assert queryset.count() == 7  # i = 211, 611, …, 2611 of insurer A; insurer B's namesakes are not ours


NAMES = ["佐藤 花子", "佐々木 一郎", "ああ いい", "山田中 太", "田中 中田", "中田 田中", "小鳥遊 ゆう", "a_b%c d", "𠮷田 次郎"]
PATTERNS = ["佐藤", "々", "佐々", "ああ", "あい", "あ い", "田中", "中田", "中", "中中", "田田", "_", "%", "b%c", "𠮷",
            "鳥遊 ゆ", "田中 中", "藤花", "子"]


def test_tripled_contains_finds_exactly_what_contains_finds(requires_postgres, alice, insurer_a):
    """The index condition (tripled name contains tripled pattern) is equivalent to a plain contains, repeated
    characters (佐々木, ああ) and LIKE wildcards included: every pattern, both expressions, same members."""
    for i, name in enumerate(NAMES):
        person = Person.objects.create(sim_id=f"SIM-EQ{i:04d}", name=name, kana="テスト")
        Member.objects.create(insurer=insurer_a, person=person, branch_number=f"E{i:05d}", name=name, kana="テスト",
                              birth_date=datetime.date(1980, 1, 1), acquired_on=datetime.date(2020, 4, 1))
    base = Member.objects.visible_to(alice)
    tripled = base.alias(t=Func(F("name"), function="nakama_tripled", output_field=TextField()))
    for pattern in PATTERNS:
        plain = {m.name for m in base.filter(name__contains=pattern)}
        by_index = {m.name for m in tripled.filter(t__contains=console_selectors.tripled(pattern))}
        assert by_index == plain == {n for n in NAMES if pattern in n}, pattern
        assert {m.name for m in search_members(alice, name=pattern)} == plain, pattern
