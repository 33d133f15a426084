"""Shared steps for the portal tests: issue a card, sign in over HTTP, read the pages back."""

import re
from html.parser import HTMLParser

from django.test import Client

from members.models import Person
from portal_sim import services
from portal_sim.models import Card

LOGIN = "/portal/login/"
SELF_INFO = "/portal/self-info/"
HISTORY = "/portal/history/"
PROXIES = "/portal/proxies/"

_numbers = iter(range(1, 10_000))
_addresses = iter(range(1, 60_000))


def own_address() -> str:
    """Each person signs in from their own home: the portal throttles sign-in per client address."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def card_for(person: Person, pin: str = "1234", number: str | None = None) -> Card:
    return services.issue_card(person=person, pin=pin, card_number=number or f"CARD-T{next(_numbers):05d}")


def signed_in(card: Card, pin: str = "1234", client: Client | None = None) -> Client:
    """A test client signed in to the portal with `card` (asserting the sign-in worked)."""
    client = client or Client(REMOTE_ADDR=own_address())
    response = client.post(LOGIN, {"card_number": card.card_number, "pin": pin})
    assert response.status_code == 302, response.content.decode()
    assert response.url == "/portal/"
    return client


def person_portal(person: Person, pin: str = "1234") -> Client:
    return signed_in(card_for(person, pin), pin)


def act_for(client: Client, principal: Person):
    return client.post(f"/portal/principals/{principal.pk}/switch/")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def main_of(html: str) -> str:
    """The page's <main>: what is shown of the person whose portal it is (the header names who is signed in)."""
    match = re.search(r"<main class=\"portal-main\">(.*?)</main>", html, re.DOTALL)
    assert match, "no <main> in the page"
    return match.group(1)


def between(html: str, marker: str) -> str:
    match = re.search(rf"<!--{marker}-->(.*?)<!--/{marker}-->", html, re.DOTALL)
    assert match, f"no {marker} block in the page"
    return match.group(1)


def without_name(html: str, *names: str) -> str:
    for name in names:
        html = html.replace(name, "〇〇")
    return html


class _TableParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_head = False
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            (self.headers if self._in_head else self._row).append(text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row and not self._in_head:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def history_rows(html: str) -> list[dict[str, str]]:
    """The rows of the やりとり履歴 table as dicts keyed by the column headings."""
    block = between(html, "history")
    parser = _TableParser()
    parser.feed(block)
    return [dict(zip(parser.headers, row, strict=True)) for row in parser.rows]


UUID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)
