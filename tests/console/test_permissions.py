"""The permission matrix, run from the URL resolver: anonymous → sign-in; each role only what it allows;
another insurer's staff → 404 on object pages and nothing of ours on list pages; auditors' POSTs → 403."""

import re

import pytest
from django.urls import reverse

from tests import factories as f
from tests.console.permission_matrix import PAGES, PUBLIC, resolver_names

PAGE_NAMES = sorted(PAGES)


def url_of(page, scene) -> str:
    return reverse(page.name, kwargs=page.kwargs(scene) if page.kwargs else None)


def test_every_console_url_is_in_the_matrix():
    names = resolver_names()
    missing = names - set(PAGES) - PUBLIC
    assert not missing, f"console URLs missing from the permission matrix: {sorted(missing)}"
    stale = set(PAGES) - names
    assert not stale, f"matrix entries with no URL: {sorted(stale)}"


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_anonymous_is_sent_to_sign_in(name, scene, client):
    page = PAGES[name]
    url = url_of(page, scene)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("console:login") + "?next=")


@pytest.mark.parametrize("name", PAGE_NAMES)
@pytest.mark.parametrize("role_user", ["alice", "sam", "audrey"])
def test_each_role_gets_only_what_it_allows(name, role_user, scene, request, as_user):
    page = PAGES[name]
    user = request.getfixturevalue(role_user)
    client = as_user(user)
    url = url_of(page, scene) + page.query
    response = client.get(url)
    if "GET" not in page.methods:
        assert response.status_code == 405, (name, user.role)
    elif user.role in page.read:
        assert response.status_code in (200, 302), (name, user.role)  # 302: a step page sends back to its start
    else:
        assert response.status_code == 403, (name, user.role)
    response = client.post(url_of(page, scene), {})
    if "POST" not in page.methods:
        assert response.status_code == 405, (name, user.role)
    elif user.role in page.write:
        assert response.status_code in (200, 302, 400), (name, user.role, response.status_code)
    else:
        assert response.status_code == 403, (name, user.role)


@pytest.mark.parametrize("name", PAGE_NAMES)
@pytest.mark.parametrize("outsider", ["bob", "bob_super", "bob_audit"])
def test_another_insurer_gets_404_or_nothing_of_ours(name, outsider, scene, request, as_user):
    page = PAGES[name]
    user = request.getfixturevalue(outsider)
    client = as_user(user)
    url = url_of(page, scene)
    response = client.get(url + page.query)
    if "GET" not in page.methods:
        assert response.status_code == 405
    elif user.role not in page.read:
        assert response.status_code == 403
    elif page.is_object_page:
        assert response.status_code == 404, (name, user.role)
    else:
        assert response.status_code in (200, 302)  # 302: a step page with nothing staged sends back to its start
        body = (response.getvalue() if response.streaming else response.content).decode()  # streamed: a CSV
        for marker in page.markers:
            assert marker not in body, (name, marker)
    if page.is_object_page and user.role in page.write:
        assert client.post(url, {"reason": "x", "decision": "approve"}).status_code == 404


def test_auditor_posts_are_refused_everywhere(scene, audrey, as_user):
    client = as_user(audrey)
    for name, page in PAGES.items():
        if page.own_account:
            continue  # their own 表示設定 only: test_auditor_may_change_only_their_own_display_setting
        if page.reading:
            continue  # the reason they read her page (tests/console/test_access_log.py)
        expected = 403 if "POST" in page.methods else 405
        assert client.post(url_of(page, scene), {"reason": "x"}).status_code == expected, name


def test_auditor_may_change_only_their_own_display_setting(scene, audrey, as_user):
    """The one POST an auditor has changes their own account and nothing of the insurer's."""
    own = [name for name, page in PAGES.items() if page.own_account]
    assert own == ["console:preferences", "console:api_tokens"]
    response = as_user(audrey).post(url_of(PAGES["console:preferences"], scene), {"date_style": "seireki"})
    assert response.status_code == 302
    audrey.refresh_from_db()
    assert audrey.date_style == "seireki"


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_operator_without_insurer_is_refused(name, scene, client, db):
    operator = f.StaffFactory(username="ops", institution=None, department=None, role="")
    client.force_login(operator)
    page = PAGES[name]
    expected = (405,) if "GET" not in page.methods else (403, 404) if page.is_object_page else (403,)
    assert client.get(url_of(page, scene)).status_code in expected


def test_refusals_and_not_found_are_in_japanese(scene, bob, audrey, as_user):
    response = as_user(bob).get(reverse("console:member_detail", args=[scene.victim.pk]))
    assert response.status_code == 404 and "見つかりません" in response.content.decode()
    response = as_user(audrey).get(reverse("console:inquiry_new"))
    assert response.status_code == 403 and "この画面・操作を行う権限がありません。" in response.content.decode()


def test_not_found_for_missing_and_foreign_objects_looks_the_same(scene, bob, as_user):
    client = as_user(bob)
    foreign = client.get(reverse("console:case_detail", args=[scene.case.pk]))
    missing = client.get(reverse("console:case_detail", args=[scene.case.pk + 1000]))
    assert foreign.status_code == missing.status_code == 404
    def without_token(response):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert without_token(foreign) == without_token(missing)
