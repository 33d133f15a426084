"""nakama.compiled: hot queries compiled once (and prepared once per connection on PostgreSQL) give what the ORM
gives, stay scoped, refuse a value they cannot place, and recover when a first call fails or the connection is new."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from members.models import Member
from members.selectors import member_by_branch
from nakama.compiled import CompiledQuery
from tests import factories as f


def test_member_by_branch_is_the_orm_answer_scoped_to_the_callers_insurer(victim, alice, bob):
    found = member_by_branch(alice, victim.branch_number)
    assert found == Member.objects.visible_to(alice).get(branch_number=victim.branch_number)
    assert found.person == victim.person and found.birth_date == victim.birth_date  # converted, with its person
    with CaptureQueriesContext(connection) as queries:
        assert found.person.sim_id == victim.person.sim_id
    assert len(queries) == 0, "the person comes with the member (select_related)"
    # Another insurer's clerk asking for the same 枝番 finds nothing, as visible_to answers.
    assert member_by_branch(bob, victim.branch_number) is None
    assert member_by_branch(alice, "NO-SUCH-BRANCH") is None


def test_a_value_the_compiled_sql_transforms_is_refused(db):
    contains = CompiledQuery(lambda name: Member.objects.filter(name__contains=name), name=str)
    with pytest.raises(RuntimeError, match="transformed"):
        contains.objects(name="佐藤")


def test_a_value_without_a_parameter_of_its_own_is_refused(db):
    unused = CompiledQuery(lambda insurer, branch: Member.objects.filter(insurer_id=insurer), insurer=int, branch=str)
    with pytest.raises(RuntimeError, match="no parameter of its own"):
        unused.objects(insurer=1, branch="x")


def test_prepared_query_recovers_from_a_failed_first_call_and_a_lost_statement(requires_postgres, victim, insurer_b):
    query = CompiledQuery(
        lambda insurer, branch: Member.objects.filter(insurer_id=insurer, branch_number=branch).order_by("pk"),
        prepare_as="nakama_test_members", insurer=int, branch=str,
    )
    other = f.MemberFactory(insurer=insurer_b, branch_number=victim.branch_number)
    # The first call on this connection carries the PREPARE and fails after it: whether it ran is unknown.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        query.execute(cursor, before=("SELECT 1 / 0", []), insurer=victim.insurer_id, branch=victim.branch_number)
    with CaptureQueriesContext(connection) as first:
        assert query.objects(insurer=victim.insurer_id, branch=victim.branch_number) == [victim]
    assert first[0]["sql"].startswith("PREPARE nakama_test_members_2 AS ")  # a new name, prepared in the same message
    with CaptureQueriesContext(connection) as again:
        assert query.objects(insurer=insurer_b.pk, branch=victim.branch_number) == [other]
    assert again[0]["sql"].startswith("EXECUTE nakama_test_members_2(")
    # The session lost the statement (a reset, a pooler): that call fails, closed; the next prepares it again.
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE nakama_test_members_2")
    with pytest.raises(DatabaseError), transaction.atomic():
        query.objects(insurer=victim.insurer_id, branch=victim.branch_number)
    with CaptureQueriesContext(connection) as after:
        assert query.objects(insurer=victim.insurer_id, branch=victim.branch_number) == [victim]
    assert after[0]["sql"].startswith("PREPARE nakama_test_members_3 AS ")


@pytest.mark.django_db(transaction=True)
def test_a_new_database_connection_prepares_again(requires_postgres, flushed_catalogue, victim):
    """CONN_MAX_AGE ends a connection, or it drops: the next call prepares on the new one."""
    query = CompiledQuery(lambda branch: Member.objects.filter(branch_number=branch), prepare_as="nakama_test_again",
                          branch=str)
    assert query.objects(branch=victim.branch_number) == [victim]
    connection.close()
    with CaptureQueriesContext(connection) as new:
        assert query.objects(branch=victim.branch_number) == [victim]
    assert new[0]["sql"].startswith("PREPARE nakama_test_again_1 AS ")
    with CaptureQueriesContext(connection) as again:
        assert query.objects(branch=victim.branch_number) == [victim]
    assert again[0]["sql"].startswith("EXECUTE nakama_test_again_1(")
