"""Error pages outside the console are Japanese too (404, 403, CSRF failure)."""

from django.test import Client


def test_unknown_page_is_a_japanese_404(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "見つかりません" in response.content.decode()


def test_csrf_failure_is_explained_in_japanese(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/logout/")
    assert response.status_code == 403 and "送信を受け付けませんでした" in response.content.decode()
