"""API tokens: bound to one staff account, stored hashed, shown once by create_api_token."""

import io

import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.models import AuditEntry
from tests import factories as f


def test_create_api_token_prints_a_working_token_once_and_stores_only_its_digest(alice):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "alice", stdout=out, stderr=err)
    token = out.getvalue().strip()
    stored = AuthToken.objects.get(user=alice)
    assert token not in (stored.digest, stored.token_key) and len(stored.digest) >= 64
    assert "再表示はできません" in err.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["username"] == "alice"
    assert AuditEntry.objects.filter(action="api_token.created", target_id=str(alice.pk)).exists()


def test_create_api_token_refuses_unknown_users_and_the_operator(db):
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    f.StaffFactory(username="ops", department=None, institution=None, role="")
    with pytest.raises(CommandError):
        call_command("create_api_token", "ops", stdout=io.StringIO())


def test_a_session_alone_does_not_authenticate_the_api(client, alice):
    client.force_login(alice)
    assert client.get("/api/v1/me/").status_code == 401
