"""Cache-Control: no-store on every page and API answer (personal data must not stay in a browser or proxy cache),
static files excepted; and the Content-Security-Policy on every page (issue 9 point 8)."""

import pytest
from django.test import Client

from portal_sim.services import issue_card
from tests.api.conftest import client_for


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_console_pages_with_personal_data_are_no_store(alice, victim):
    client = Client()
    client.force_login(alice)
    for path in ("/", f"/members/{victim.pk}/", "/members/?kana=サトウ", "/exchanges/"):
        response = client.get(path)
        assert response.status_code == 200 and _no_store(response), path
        assert "private" in response["Cache-Control"]


def test_the_sign_in_page_and_error_pages_are_no_store(db):
    assert _no_store(Client().get("/login/"))
    assert _no_store(Client().get("/no-such-page/"))


def test_api_answers_are_no_store_errors_included(alice, victim):
    api = client_for(alice)
    for response in (api.get("/api/v1/members/"), api.get(f"/api/v1/members/{victim.branch_number}/"),
                     api.get("/api/v1/members/UNKNOWN/"), Client().get("/api/v1/members/")):
        assert _no_store(response), (response.status_code, response.headers)


def test_the_portal_is_no_store(victim):
    issue_card(person=victim.person, pin="1234", card_number="CARD-NOSTORE")
    client = Client()
    signed_in = client.post("/portal/login/", {"card_number": "CARD-NOSTORE", "pin": "1234"})
    assert _no_store(signed_in)
    assert _no_store(client.get("/portal/self-info/")) and _no_store(client.get("/portal/history/"))


def test_the_settings_csv_download_is_no_store(sam):
    client = Client()
    client.force_login(sam)
    response = client.post("/settings-csv/download/", {"encoding": "utf-8-sig"})
    assert response.status_code == 200 and _no_store(response)


def test_static_files_keep_their_cache_headers(db, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic, as in a deployment
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/nakama.css")  # a new Client builds its middleware with these settings
    assert response.status_code == 200
    assert not _no_store(response)


@pytest.mark.parametrize("path", ["/login/", "/portal/login/", "/ops-admin/login/", "/api/v1/members/"])
def test_every_answer_carries_a_strict_content_security_policy(db, path):
    policy = Client().get(path)["Content-Security-Policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_the_api_docs_have_their_own_policy_without_inline_script(db):
    policy = Client().get("/api/schema/docs/")["Content-Security-Policy"]
    script = [d for d in policy.split(";") if d.strip().startswith("script-src")][0]
    assert "unsafe-inline" not in script
