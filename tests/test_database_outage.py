"""Issue 20 ②: while the database is away (a failover), requests are answered 503 with Retry-After, never 500.

The failover itself is tests/replication/test_failover.py (a real pair, gunicorn, a crash); here each layer where
the outage can surface is made to raise what psycopg2 raises then (Django's OperationalError / InterfaceError)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client

from api.auth import TokenAuthentication
from nakama.outage import is_database_outage


def _away(*args, **kwargs):
    raise OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_the_console_answers_a_japanese_503_page(db, client, monkeypatch):
    monkeypatch.setattr(SessionStore, "load", _away)
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "一時的に利用できません" in response.content.decode()


def test_the_api_answers_503_json_with_retry_after_from_a_view(db, client, monkeypatch):
    monkeypatch.setattr(TokenAuthentication, "authenticate", _away)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token abc")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["code"] == "database_unavailable"


class DatabaseAwayMiddleware:
    """Stands for any middleware whose first query finds no server (sessions, sign-in checks, axes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _away()


def test_the_api_answers_503_json_when_middleware_finds_the_database_away(db, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.DatabaseAwayMiddleware"]
    response = Client(raise_request_exception=False).get("/api/v1/me/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["code"] == "database_unavailable"


def test_other_errors_stay_500(db, client, monkeypatch):
    monkeypatch.setattr(TokenAuthentication, "authenticate", lambda *a, **k: 1 / 0)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token abc")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


@pytest.mark.parametrize("exc, outage", [
    (OperationalError("server closed the connection unexpectedly"), True),
    (InterfaceError("connection already closed"), True),
    (ValueError("x"), False),
    (None, False),
])
def test_what_counts_as_an_outage(exc, outage):
    assert is_database_outage(exc) is outage


def test_an_outage_wrapped_in_another_error_counts():
    try:
        try:
            _away()
        except OperationalError as inner:
            raise RuntimeError("while sending") from inner
    except RuntimeError as outer:
        assert is_database_outage(outer)
