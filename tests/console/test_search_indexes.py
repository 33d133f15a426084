"""On PostgreSQL the 枝番 lookup and the カナ prefix search use an index (member_kana_prefix_idx has
varchar_pattern_ops so a prefix LIKE can use it). Test tables are small, so sequential scans are switched off."""

import datetime

from django.db import connection

from console.selectors import search_members
from members.models import Member, Person


def _members(insurer, n=300):
    """Enough rows with varied カナ that the planner's statistics tell the indexes apart."""
    kana = "アイウエオカキクケコサシスセソタチツテト"
    persons = Person.objects.bulk_create(
        [
            Person(sim_id=f"SIM-IDX{i:05d}", name=f"個人{i}", kana=f"{kana[i % 20]}{kana[(i // 20) % 20]} テスト")
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


def test_kana_prefix_search_uses_member_kana_prefix_idx(requires_postgres, alice, insurer_a):
    _members(insurer_a)
    queryset = search_members(alice, kana="さし")
    assert "LIKE" in str(queryset.query)
    plan = _plan(queryset)
    assert "member_kana_prefix_idx" in plan, plan
    assert "~>=~" in plan, plan  # the prefix is an index condition, not a filter after the scan
    assert "Seq Scan" not in plan, plan
