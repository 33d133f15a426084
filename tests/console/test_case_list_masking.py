"""The case list masks her as the name search does (issue 17 point 6): a colleague who is not 担当 sees
「保護対象者」 with the case number — no name, no 枝番, no birth date — until he has given a reason for her."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flags.access_log import add_case_staff
from flags.cases import open_protection_case
from institutions.models import Role
from tests import factories as f
from tests.access_helpers import give_reason

LIST = reverse("console:case_list")


@pytest.fixture
def carol(dept_a):
    """A colleague of alice's at insurer A, not 担当 of the victim's case."""
    return f.StaffFactory(username="carol", display_name="キャロル 担当", department=dept_a, role=Role.CLERK)


def _row_of(body: str, case_pk: int) -> str:
    """The list's row of one case (from its link to the case page to the end of the row)."""
    start = body.index(f'href="{reverse("console:case_detail", args=[case_pk])}"')
    return body[body.rindex("<tr", 0, start):body.index("</tr>", start)]


def test_the_registering_clerk_sees_her_name_on_the_list(scene, alice, as_user, client):
    body = as_user(alice).get(LIST).content.decode()
    row = _row_of(body, scene.case.pk)
    assert "佐藤 花子" in row and "A0000001" in row and "保護対象者" not in row


def test_a_colleague_sees_her_masked_until_he_gives_a_reason(scene, carol, as_user, client):
    body = as_user(carol).get(LIST).content.decode()
    row = _row_of(body, scene.case.pk)
    assert "保護対象者" in row and f"設定対象者ID {scene.case.pk}" in row
    assert "佐藤 花子" not in body and "A0000001" not in body and "サトウ" not in body  # nowhere on the page
    assert "田中 三恵" not in body  # the other protected person too
    # The row's link opens her case page, which asks for the reason first; after it the list names her.
    give_reason(client, scene.victim, reason="本人からの給付の問合せ", page="設定対象者詳細")
    row = _row_of(client.get(LIST).content.decode(), scene.case.pk)
    assert "佐藤 花子" in row and "A0000001" in row and "保護対象者" not in row
    assert "田中 三恵" not in client.get(LIST).content.decode()  # the reason was for her only


def test_a_supervisor_who_is_not_in_charge_is_not_exempt(scene, sam, as_user, client):
    body = as_user(sam).get(LIST).content.decode()
    assert "保護対象者" in _row_of(body, scene.case.pk) and "佐藤 花子" not in body


def test_a_colleague_named_in_charge_sees_her_name(scene, carol, sam, as_user, client):
    add_case_staff(actor=sam, case=scene.case, staff=carol)
    body = as_user(carol).get(LIST).content.decode()
    assert "佐藤 花子" in _row_of(body, scene.case.pk)
    assert "田中 三恵" not in body  # not 担当 of the other case


def test_another_insurer_sees_none_of_our_cases(scene, bob, as_user, client):
    body = as_user(bob).get(LIST).content.decode()
    assert "登録はありません" in body and "保護対象者</strong>" not in body and "佐藤 花子" not in body


def test_the_list_and_the_search_mask_in_the_same_number_of_statements_for_2_and_12_cases(
        carol, alice, insurer_a, items, as_user, client):
    def opened(n):
        for _ in range(n):
            open_protection_case(actor=alice, member=f.MemberFactory(insurer=insurer_a, kana="ヤマダ ハナ"),
                                 victim_confirmed=True, fled_confirmed=True, requested_by_person=True)

    def statements(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    search = reverse("console:member_search") + "?kana=ヤマダ"
    as_user(carol)
    opened(2)
    few = statements(LIST), statements(search)
    opened(10)
    assert (statements(LIST), statements(search)) == few
    assert client.get(LIST).content.decode().count("保護対象者</strong>") == 12
