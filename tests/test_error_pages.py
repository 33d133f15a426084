"""Error pages outside the console are Japanese too (404, 403, CSRF failure)."""

import pytest
from django.test import Client


def test_unknown_page_is_a_japanese_404(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "見つかりません" in response.content.decode()


def test_csrf_failure_is_explained_in_japanese(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/logout/")
    assert response.status_code == 403 and "送信を受け付けませんでした" in response.content.decode()


DEBUG_LISTING = "Using the URLconf defined in"


@pytest.fixture
def demo_with_debug(settings):
    settings.DEBUG, settings.NAKAMA_DEMO = True, True


def test_demo_with_debug_shows_our_japanese_404_not_the_url_list(db, demo_with_debug):
    response = Client().get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and "見つかりません" in body
    assert DEBUG_LISTING not in body and "ops-admin" not in body
    assert "no-store" in response["Cache-Control"]


def test_demo_with_debug_shows_our_japanese_404_for_a_missing_object(alice, demo_with_debug):
    client = Client()
    client.force_login(alice)
    response = client.get("/cases/999999/")
    assert response.status_code == 404 and "見つかりません" in response.content.decode()
    assert "Traceback" not in response.content.decode() and DEBUG_LISTING not in response.content.decode()


def test_demo_with_debug_shows_our_japanese_403(alice, demo_with_debug):
    client = Client()
    client.force_login(alice)
    response = client.get("/dashboard/")
    assert response.status_code == 403 and "Forbidden" not in response.content.decode()
    assert "責任者" in response.content.decode() or "権限" in response.content.decode()


@pytest.mark.urls("tests.demo_error_urls")
def test_demo_with_debug_shows_our_japanese_500_not_the_traceback(db, demo_with_debug):
    response = Client(raise_request_exception=False).get("/boom/", headers={"Accept": "text/html"})
    body = response.content.decode()
    assert response.status_code == 500 and "Traceback" not in body and "a bug" not in body
    assert "エラー" in body or "問題" in body


def test_outside_the_demo_debug_keeps_djangos_page(db, settings):
    settings.DEBUG, settings.NAKAMA_DEMO = True, False
    assert DEBUG_LISTING in Client().get("/no-such-page/").content.decode()
