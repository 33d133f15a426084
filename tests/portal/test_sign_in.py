"""Portal sign-in with card identifier and PIN: its own session, three wrong PINs lock, stopped cards refused."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from portal_sim import services
from portal_sim.models import Card
from portal_sim.views import PORTAL_CARD_KEY
from tests.portal.helpers import HISTORY, LOGIN, PROXIES, SELF_INFO, card_for, page, signed_in

PORTAL_PAGES = ["/portal/", SELF_INFO, HISTORY, PROXIES]


@pytest.fixture
def card(victim):
    return card_for(victim.person, "1234")


def _login(client, card_number, pin):
    return client.post(LOGIN, {"card_number": card_number, "pin": pin})


def test_correct_pin_signs_in_and_shows_the_holders_name(card, victim):
    client = signed_in(card)
    html = page(client, "/portal/")
    assert "佐藤 花子 さんがログイン中" in html
    assert client.session[PORTAL_CARD_KEY] == card.pk


def test_card_identifier_is_not_case_sensitive(card):
    response = _login(Client(), card.card_number.lower(), "1234")
    assert response.status_code == 302


def test_wrong_pin_gives_the_one_message_without_counting_down(card):
    response = _login(Client(), card.card_number, "9999")
    html = response.content.decode()
    assert response.status_code == 200
    assert "カード識別子または暗証番号が正しくありません。" in html
    assert "あと" not in html  # 「あと2回」 would confirm the card exists
    card.refresh_from_db()
    assert card.failed_attempts == 1  # committed, not rolled back with the refusal


def test_third_wrong_pin_locks_the_card_silently_and_only_the_right_pin_learns_it(card):
    client = Client()
    _login(client, card.card_number, "0000")
    _login(client, card.card_number, "0001")
    third = _login(client, card.card_number, "0002").content.decode()
    assert _error(third) == services.BAD_CREDENTIALS
    card.refresh_from_db()
    assert card.locked_at is not None
    assert _error(_login(client, card.card_number, "0003").content.decode()) == services.BAD_CREDENTIALS
    again = _login(client, card.card_number, "1234")
    assert again.status_code == 200
    assert "このカードはロックされています" in again.content.decode()
    assert PORTAL_CARD_KEY not in client.session


def _error(html: str) -> str:
    found = re.search(r'<p class="portal-error" role="alert">(.*?)</p>', html, flags=re.DOTALL)
    return found.group(1) if found else ""


def _make(case: str, card, victim) -> str:
    """The card number to type for each case of the one-message rule."""
    if case == "unknown":
        return "CARD-NOPE-NOPE"
    if case == "suspended":
        services.suspend_card(card=card, reason="テスト")
    elif case == "replaced":
        services.reissue_card(person=victim.person, pin="5678")
    elif case == "locked":
        Card.objects.filter(pk=card.pk).update(locked_at=timezone.now(), failed_attempts=3)
    return card.card_number


@pytest.mark.parametrize("case", ["unknown", "wrong_pin", "suspended", "replaced", "locked"])
def test_unknown_card_wrong_pin_and_stopped_or_locked_card_get_one_and_the_same_answer(card, victim, case):
    reference = _login(Client(), card.card_number, "9999")
    Card.objects.filter(pk=card.pk).update(failed_attempts=0)
    number = _make(case, card, victim)
    response = _login(Client(), number, "9999")
    assert response.status_code == reference.status_code == 200
    assert _error(response.content.decode()) == _error(reference.content.decode()) == services.BAD_CREDENTIALS


@pytest.mark.parametrize("case", ["unknown", "wrong_pin", "suspended", "locked"])
def test_the_portal_api_answers_the_same_body_for_the_four_cases(card, victim, sim_on, case):
    number = _make(case, card, victim)
    response = Client().post("/api/sim/portal/", {"card_number": number, "pin": "9999"},
                             content_type="application/json", **sim_on)
    assert response.status_code == 403
    assert response.json() == {"code": "bad_credentials", "message": services.BAD_CREDENTIALS, "fields": {}}


def test_portal_sign_in_is_throttled_per_client_address(card):
    """10 sign-in attempts a minute per address (PORTAL_THROTTLE_RATE), then a Japanese 429 page."""
    here = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(10):
        assert _login(here, card.card_number, f"{n:04d}" if n % 3 else "1234").status_code in (200, 302)
    refused = _login(here, card.card_number, "1234")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "ログインの試行が多すぎます" in refused.content.decode()
    assert '<html lang="ja">' in refused.content.decode()
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert _login(elsewhere, card.card_number, "1234").status_code == 302


def test_portal_api_is_throttled_per_client_address_with_the_json_body(card, sim_on):
    client = Client(REMOTE_ADDR="203.0.113.8", **sim_on)
    body = {"card_number": "CARD-NOPE-NOPE", "pin": "0000"}
    for _ in range(10):
        assert client.post("/api/sim/portal/", body, content_type="application/json").status_code == 403
    refused = client.post("/api/sim/portal/", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and refused["Retry-After"]


def test_a_right_pin_resets_the_count(card):
    client = Client()
    _login(client, card.card_number, "0000")
    _login(client, card.card_number, "0001")
    signed_in(card, client=client)
    card.refresh_from_db()
    assert card.failed_attempts == 0


def test_unknown_card_gets_the_same_words_as_a_wrong_pin_without_confirming_anything(card):
    html = _login(Client(), "CARD-NOPE-NOPE", "1234").content.decode()
    assert "カード識別子または暗証番号が正しくありません。" in html
    assert "ロック" not in re.sub(r"<p class=\"portal-muted\">.*?</p>", "", html, flags=re.DOTALL)


def test_empty_form_asks_for_both_fields_in_japanese(db):
    html = Client().post(LOGIN, {}).content.decode()
    assert html.count('<p class="portal-error">入力してください。</p>') == 2


def test_suspended_card_is_refused_once_the_right_pin_is_given(card):
    services.suspend_card(card=card, reason="テスト")
    response = _login(Client(), card.card_number, "1234")
    assert response.status_code == 200
    assert "このカードは利用が停止されているため、ログインできません。" in response.content.decode()


def test_replaced_card_is_refused_and_the_new_one_works(card, victim):
    new = services.reissue_card(person=victim.person, pin="5678")
    html = _login(Client(), card.card_number, "1234").content.decode()
    assert "このカードは利用が停止されているため、ログインできません。" in html
    signed_in(new, "5678")


def test_card_suspended_while_signed_in_ends_the_session(card):
    client = signed_in(card)
    services.suspend_card(card=card)
    response = client.get(SELF_INFO)
    assert response.status_code == 302 and response.url == LOGIN
    assert PORTAL_CARD_KEY not in client.session
    assert "カードが利用できなくなったため、ログアウトしました。" in page(client, LOGIN)


@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_pages_need_a_portal_sign_in(db, url):
    response = Client().get(url)
    assert response.status_code == 302 and response.url == LOGIN


@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_a_staff_login_does_not_open_the_portal(alice, url):
    client = Client()
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 302 and response.url == LOGIN


def test_a_portal_sign_in_does_not_open_the_console(card):
    client = signed_in(card)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_sign_in_form_is_csrf_protected(card):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"card_number": card.card_number, "pin": "1234"}).status_code == 403
    html = client.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    ok = client.post(LOGIN, {"card_number": card.card_number, "pin": "1234", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302


def test_sign_in_rotates_the_session_key(card):
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    signed_in(card, client=client)
    assert client.session.session_key != before


def test_sign_out_asks_then_ends_only_the_portal_session(card, alice):
    client = signed_in(card)
    client.force_login(alice)  # the same browser also signed in to the console
    assert "ログアウトする" in page(client, "/portal/logout/")
    response = client.post("/portal/logout/")
    assert response.status_code == 302 and response.url == LOGIN
    assert client.get(SELF_INFO).status_code == 302
    assert client.get("/").status_code == 200  # the staff session is untouched


@pytest.mark.parametrize("url", [LOGIN, "/portal/", SELF_INFO, HISTORY, PROXIES, "/portal/logout/"])
def test_portal_pages_are_japanese(card, url):
    client = Client() if url == LOGIN else signed_in(card)
    html = page(client, url)
    assert '<html lang="ja">' in html
    text = re.sub(r"<[^>]+>|<!--.*?-->", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.DOTALL))
    # Only data may be Latin (card and person identifiers, like SIM-ABCD-EFGH); no English words in the UI.
    text = re.sub(r"\b(SIM|CARD)-[A-Z0-9-]+", " ", text)
    words = set(re.findall(r"[A-Za-z]{2,}", text))
    assert not words, words


def test_pin_is_stored_hashed(card):
    assert "1234" not in Card.objects.get(pk=card.pk).pin_hash
