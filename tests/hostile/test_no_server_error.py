"""Issue 18 ⑥: hostile input never gets a 500, in the API (the JSON error body, never HTML) nor in the console (a
Japanese page). Each attack of the issue's table replayed over HTTP, then Hypothesis over headers, bodies and ids.

On main each of these was a 500: UnicodeDecodeError in api/auth.py, RecursionError, RequestDataTooBig,
TooManyFieldsSent, "year 10889 is out of range" in exchanges/ids.py; `POST /api/v1/nonexistent/` an HTML CSRF page.
"""

import json
import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.models import Member
from tests.api.conftest import assert_error

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

OUT_OF_RANGE_ID = "ffffffff-ffff-7fff-bfff-ffffffffffff"  # UUIDv7 whose time is the year 10889


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_json_error(response, status: int | None = None) -> dict:
    """Never a 5xx, always the API's JSON error body (not an HTML page)."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), (response.status_code, response["Content-Type"])
    body = response.json()
    assert {"code", "message", "fields"} <= set(body), body
    return body


# --- The table, attack by attack ---

def test_token_of_undecodable_bytes_is_401(db):
    client = Client(HTTP_AUTHORIZATION=b"Token \xe9\xe9\xff".decode("latin-1"))
    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_json_nested_too_deep_is_400(api_alice, victim):
    response = api_alice.generic("POST", "/api/v1/inquiries/", nested(950), content_type="application/json")
    assert_error(response, 400, "nesting_too_deep")
    response = api_alice.generic("POST", "/api/v1/inquiries/", '{"a":' * 5000 + "1" + "}" * 5000,
                                 content_type="application/json")
    assert_error(response, 400, "nesting_too_deep")


def test_json_nested_a_little_is_still_read(api_alice, victim):
    """The depth limit leaves room for every body the API takes (the replica content is an object of objects)."""
    response = api_alice.post(f"/api/v1/members/{victim.branch_number}/replicas/",
                              {"item": "medical_eligibility", "content": {"a": {"b": {"c": [[["x"]]]}}}},
                              format="json")
    assert response.status_code < 300, response.content


def test_body_larger_than_the_limit_is_413(api_alice):
    body = json.dumps({"reason": "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert_error(api_alice.generic("POST", "/api/v1/inquiries/", body, content_type="application/json"), 413,
                 "request_too_large")


def test_form_of_2000_fields_is_400_in_the_api(api_alice):
    body = "&".join(f"f{i}=v" for i in range(2000))
    response = api_alice.generic("POST", "/api/v1/inquiries/", body,
                                 content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "too_many_fields")


@pytest.mark.parametrize("path", ["/login/", "/inquiries/new/", "/portal/login/"])
def test_form_of_2000_fields_is_a_japanese_400_page_in_the_console(alice, path):
    client = Client()
    client.force_login(alice)
    body = "&".join(f"f{i}=v" for i in range(2000))
    response = client.generic("POST", path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "送信された項目が多すぎます" in response.content.decode()


@pytest.mark.parametrize("path", ["/login/", "/inquiries/new/"])
def test_console_body_too_large_is_a_japanese_413_page(alice, path):
    client = Client()
    client.force_login(alice)
    response = client.generic("POST", path, "q=" + "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "大きすぎ" in response.content.decode()


def test_console_exchange_id_out_of_range_is_404(alice):
    client = Client()
    client.force_login(alice)
    assert client.get(f"/exchanges/{OUT_OF_RANGE_ID}/").status_code == 404


@pytest.mark.parametrize("path", [f"/api/v1/exchanges/{OUT_OF_RANGE_ID}/",
                                  f"/api/v1/exchanges/{OUT_OF_RANGE_ID}/append-requests/",
                                  "/api/v1/exchanges/00000000-0000-7000-8000-000000000000/"])
def test_exchange_id_out_of_range_is_404(api_alice, path):
    method = "post" if path.endswith("append-requests/") else "get"
    assert_error(getattr(api_alice, method)(path, {"reason": "x"}, format="json"), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/api/v1/nonexistent/", "/api/nonexistent", "/api/v1/members/enrol/x/y/z/",
                                  "/api/sim/nonexistent/"])
def test_unknown_path_under_api_is_a_json_404_whatever_the_method(db, method, path):
    response = Client(enforce_csrf_checks=True).generic(method, path, "{}", content_type="application/json")
    body = assert_json_error(response, 404)
    assert body["code"] == "not_found"


def test_known_path_with_a_method_it_does_not_take_is_a_json_405(api_alice):
    assert_error(api_alice.delete("/api/v1/inquiries/"), 405, "method_not_allowed")
    assert_error(api_alice.put("/api/v1/me/", {}, format="json"), 405, "method_not_allowed")


def test_api_with_a_session_cookie_and_no_csrf_token_is_still_json(alice):
    """The API authenticates by token only; a console session cookie neither authenticates nor turns an error into
    the console's HTML CSRF page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for path in ("/api/v1/inquiries/", "/api/v1/nonexistent/"):
        assert_json_error(client.post(path, "{}", content_type="application/json"))


# --- Hypothesis: headers, bodies and ids ---

header_bytes = st.binary(max_size=80).map(lambda b: b.decode("latin-1"))


@FUZZ
@given(value=st.one_of(header_bytes, header_bytes.map(lambda v: "Token " + v), header_bytes.map(lambda v: "Token" + v)))
def test_any_authorization_header_is_401_never_500(db, value):
    assert_error(Client(HTTP_AUTHORIZATION=value).get("/api/v1/me/"), 401)


@FUZZ
@given(headers=st.dictionaries(st.sampled_from(["HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_IDEMPOTENCY_KEY",
                                                "HTTP_X_REQUEST_ID", "HTTP_X_FORWARDED_FOR", "HTTP_HOST_OVERRIDE",
                                                "CONTENT_TYPE", "HTTP_CONTENT_ENCODING"]), header_bytes, max_size=4))
def test_any_other_header_never_gives_a_500(api_alice, headers):
    response = api_alice.generic("POST", "/api/v1/inquiries/", b"{}",
                                 **{"content_type": "application/json", **headers})
    assert response.status_code < 500, (response.status_code, response.content[:300])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=3000).map(lambda n: nested(n).encode()),
    st.integers(min_value=1, max_value=3000).map(lambda n: ("&".join(f"k{i}=v" for i in range(n))).encode()),
)
content_types = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
                                 "multipart/form-data; boundary=x", "text/plain", "application/json; charset=latin-1",
                                 "application/json; charset=utf-16"])


@FUZZ
@given(body=bodies, content_type=content_types, path=st.sampled_from([
    "/api/v1/inquiries/", "/api/v1/settings/set/", "/api/v1/replicas/bulk/", "/api/v1/cases/open/",
    "/api/v1/members/enrol/", "/api/v1/nonexistent/",
]))
def test_any_body_gets_a_json_answer_never_500(api_alice, body, content_type, path):
    before = Member.objects.count()
    response = api_alice.generic("POST", path, body, content_type=content_type)
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert Member.objects.count() == before  # nothing half-written


ids = st.one_of(
    st.uuids().map(str),
    st.integers(min_value=0, max_value=(1 << 128) - 1).map(lambda n: str(uuid.UUID(int=n))),
    st.integers(min_value=-(1 << 70), max_value=1 << 70).map(str),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"), min_size=1,
            max_size=40),
)


@FUZZ
@given(value=ids, template=st.sampled_from([
    "/api/v1/exchanges/{}/", "/api/v1/settings/{}/", "/api/v1/cases/{}/", "/api/v1/members/{}/",
    "/api/v1/manual-responses/{}/", "/api/v1/append-requests/{}/", "/api/v1/audit/{}/",
    "/api/v1/clearing-requests/{}/", "/api/v1/handovers/{}/confirm/", "/api/v1/cases/{}/exposure/",
]))
def test_any_id_is_a_json_404_never_500(api_alice, value, template):
    from urllib.parse import quote

    response = api_alice.get(template.format(quote(value, safe="")))
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")


def test_the_schema_states_what_the_parsers_refuse(client):
    """So a request valid by the schema is not refused for a control character or a malformed Idempotency-Key."""
    from api.parsers import FILLED_PATTERN, LINE_PATTERN, TEXT_PATTERN

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    inquiry = schema["paths"]["/api/v1/inquiries/"]["post"]
    key = next(p for p in inquiry["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["maxLength"] == 255 and key["schema"]["pattern"]
    cursor = next(p for p in schema["paths"]["/api/v1/exchanges/"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["pattern"] == LINE_PATTERN
    reason = schema["components"]["schemas"]["FileAppendRequestViewInputRequest"]["properties"]["reason"]
    assert reason["pattern"] in (TEXT_PATTERN, FILLED_PATTERN)
    batch = schema["paths"]["/api/v1/inquiries/batch/"]["post"]["requestBody"]["content"]
    assert set(batch) == {"application/json"}  # a list of objects: no form can carry it
