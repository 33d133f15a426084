"""Issue 18 ③: a token stands for a person only if that person made it. Attack 3 replayed: the operator mints
tokens with create_api_token for a 担当者 and a 責任者 (no password, no TOTP); the clerk's token files a clearing
and the supervisor's would approve it — now the command refuses the 責任者, a token the operator made earlier
(recorded by the migration as the command's) no longer authenticates him, and nothing is cleared. The 責任者 makes
his own token in the console after his TOTP code; only that one decides. `api_token.created` names its maker."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient, APIRequestFactory

from api.permissions import OwnToken
from audit.models import AuditEntry
from flags.models import ClearingRequest, ClearingRequestState, Setting
from flags.policy import SettingKind
from flags.services import set_setting
from signin import services as signin_services
from signin.models import ApiTokenProvenance, TokenOrigin
from signin.tokens import create_operator_token, is_own_token
from tests.api.conftest import assert_error, own_token


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _command_token(username: str) -> str:
    out = io.StringIO()
    call_command("create_api_token", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


@pytest.fixture
def setting(alice, victim) -> Setting:
    return set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")


def test_attack_3_operator_tokens_cannot_make_four_eyes(alice, sam, setting):
    signin_services.enrol_totp(staff=sam)  # a 責任者 with his second factor: the command still refuses him
    clerk_token = _command_token("alice")
    with pytest.raises(CommandError, match="本人がコンソール"):
        _command_token("sam")
    assert not AuthToken.objects.filter(user=sam).exists()

    # A 責任者's token the operator made before provenance was recorded (the migration files it as the command's).
    row, legacy = AuthToken.objects.create(user=sam)
    ApiTokenProvenance.objects.create(token=row, made_via=TokenOrigin.COMMAND)

    response = _client(clerk_token).post(f"/api/v1/settings/{setting.pk}/clearing-requests/",
                                         {"reason": "カード停止の完了を確認"}, format="json")
    assert response.status_code == 201  # a clerk's system token still works for what a clerk does
    clearing = ClearingRequest.objects.get(pk=response.json()["id"])

    refused = _client(legacy).post(f"/api/v1/clearing-requests/{clearing.pk}/decision/", {"approve": True},
                                   format="json")
    body = assert_error(refused, 401, "token_not_own")
    assert "本人がコンソール" in body["message"]
    clearing.refresh_from_db()
    setting.refresh_from_db()
    assert clearing.state == ClearingRequestState.PENDING and setting.cleared_at is None

    # His own token (made after his TOTP code) decides.
    own = _client(own_token(sam)).post(f"/api/v1/clearing-requests/{clearing.pk}/decision/", {"approve": True},
                                       format="json")
    assert own.status_code == 200, own.content
    setting.refresh_from_db()
    assert setting.cleared_by == sam


def test_an_auditor_token_made_by_the_operator_is_refused_outright(audrey):
    row, token = AuthToken.objects.create(user=audrey)
    ApiTokenProvenance.objects.create(token=row, made_via=TokenOrigin.COMMAND)
    assert_error(_client(token).get("/api/v1/me/"), 401)
    no_record, bare = AuthToken.objects.create(user=audrey)  # no provenance at all: the operator's too
    assert_error(_client(bare).get("/api/v1/me/"), 401)
    assert _client(own_token(audrey)).get("/api/v1/me/").json()["username"] == "audrey"


def test_a_decision_needs_the_deciders_own_token(alice, sam):
    """Behind authentication, every decision view asks OwnToken: a clerk's operator token is not his own."""
    token = create_operator_token(staff=alice, operator="運用者", reason="")
    assert token
    row = AuthToken.objects.get(user=alice)
    assert not is_own_token(row)
    request = APIRequestFactory().post("/")
    request.auth = row
    assert not OwnToken().has_permission(request, None)
    forged = AuthToken.objects.create(user=sam)[0]  # a console row naming someone else as its maker
    ApiTokenProvenance.objects.create(token=forged, made_by=alice, made_via=TokenOrigin.CONSOLE)
    assert not is_own_token(forged)
    from api.urls import v1

    deciders = {p.name: p.callback.cls for p in v1 if getattr(p, "name", "") and p.name.endswith(
        ("-decide", "handover-confirm", "handover-decline"))}
    assert set(deciders) == {"clearing-request-decide", "case-closure-decide", "link-removal-decide",
                             "companion-removal-decide", "handover-confirm", "handover-decline"}, deciders
    for name, view in deciders.items():
        assert OwnToken in view.permission_classes, name


def test_api_token_created_names_who_made_it(alice):
    _command_token("alice")
    entry = AuditEntry.objects.filter(action="api_token.created").latest("id")
    assert entry.actor is None and entry.actor_name.startswith("運用者（管理コマンド create_api_token")
    assert entry.after["made_via"] == "command"


def test_a_supervisor_makes_his_own_token_in_the_console_after_his_totp_code(sam, alice, setting, client):
    device = signin_services.enrol_totp(staff=sam)
    client.force_login(sam)
    url = reverse("console:api_tokens")
    wrong = client.post(url, {"op": "create", "code": "000000"})
    assert wrong.status_code == 400 and "確認コードが正しくありません" in wrong.content.decode()
    assert not AuthToken.objects.filter(user=sam).exists()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp waits after a wrong code; the test does not

    made = client.post(url, {"op": "create", "code": signin_services.current_code(device)[0]})
    assert made.status_code == 200 and "no-store" in made["Cache-Control"]
    token = made.context["new_token"]
    assert token and token in made.content.decode()
    assert token not in client.get(url).content.decode()  # shown once
    entry = AuditEntry.objects.filter(action="api_token.created").latest("id")
    assert entry.actor == sam and entry.after["made_via"] == "console"

    clearing = ClearingRequest.objects.create(
        setting=setting, institution=setting.institution, reason="完了確認", requested_at=setting.set_at,
        requested_by=alice, requested_by_name=str(alice),
    )
    decided = _client(token).post(f"/api/v1/clearing-requests/{clearing.pk}/decision/", {"approve": True},
                                  format="json")
    assert decided.status_code == 200, decided.content

    key = AuthToken.objects.get(user=sam).token_key
    assert client.post(url, {"op": "revoke", "token_key": key}).status_code == 302
    assert_error(_client(token).get("/api/v1/me/"), 401)


def test_a_clerk_makes_his_own_token_with_his_password(alice, client):
    alice.set_password("long-enough-pass-99")
    alice.save()
    client.force_login(alice)
    url = reverse("console:api_tokens")
    assert client.post(url, {"op": "create", "password": "wrong"}).status_code == 400
    made = client.post(url, {"op": "create", "password": "long-enough-pass-99"})
    assert made.status_code == 200
    assert is_own_token(AuthToken.objects.select_related("provenance").get(user=alice))
