"""API clients holding the tokens of the shared people: alice (clerk), sam and sue (supervisors), audrey (auditor)
of insurer A, and bob (clerk of insurer B, the outsider)."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from institutions.models import Role
from signin.models import ApiTokenProvenance, TokenOrigin
from tests import factories as f


def own_token(staff) -> str:
    """A token the staff member made himself (as the console page does after his TOTP code): the only kind that
    authenticates a 責任者 or 監査者 and decides four-eyes requests (signin.tokens)."""
    row, token = AuthToken.objects.create(user=staff)
    ApiTokenProvenance.objects.create(token=row, made_by=staff, made_via=TokenOrigin.CONSOLE)
    return token


def client_for(staff) -> APIClient:
    token = own_token(staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def api_alice(alice):
    return client_for(alice)


@pytest.fixture
def api_sam(sam):
    return client_for(sam)


@pytest.fixture
def api_sue(sue):
    return client_for(sue)


@pytest.fixture
def api_audrey(audrey):
    return client_for(audrey)


@pytest.fixture
def api_bob(bob):
    return client_for(bob)


@pytest.fixture
def anon():
    return APIClient()


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error body: code, Japanese message, fields."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert body["message"] and not body["message"].isascii(), body  # Japanese
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Staff passwords and card PINs are hashed; the test people don't need a slow hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def carol(dept_a):
    """A colleague of alice's at insurer A, not 担当 of the victim's case (issue 17 ⑥: break the glass)."""
    return f.StaffFactory(username="carol", display_name="キャロル 担当", department=dept_a, role=Role.CLERK)
