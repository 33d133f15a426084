"""scripts/demo explains itself: progress lines before the server starts, the addresses only once it answers, and
the word that the demo data is rebuilt on each start (KEEP_DEMO=1 keeps it). The README keeps its two commands
first and carries the guided tour; the console home page shows the tour in the demo only."""

import http.cookiejar
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.urls import reverse

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Browser:
    """A visitor with cookies, over HTTP: what the demo (SQLite) serves, not the test database."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            assert response.status == 200, path
            assert urllib.parse.urlsplit(response.geturl()).path == path, (path, response.geturl())  # not sent away
            return response.read().decode()

    def post_form(self, path: str, fields: dict) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(path)).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()


def _browse_the_demo(base: str) -> None:
    """The clerk's everyday pages and the portal answer on the demo's SQLite (a query PostgreSQL runs and SQLite
    refuses would be a 500 here: CI runs the rest of the suite on PostgreSQL)."""
    clerk = _Browser(base)
    clerk.post_form("/login/", {"username": "a_clerk", "password": "nakama-demo-2026"})
    pages = ["/", "/members/", "/cases/", "/exchanges/", "/append-requests/", "/manual-responses/", "/inquiries/new/",
             "/preferences/"]
    for path in pages:
        html = clerk.get(path)
        if path == "/exchanges/":
            records = re.findall(r'href="(/exchanges/[0-9a-f-]{36}/)"', html)
            assert records, "the demo's やりとり履歴 lists records"
            pages += records[:2]
        if path == "/cases/":
            pages += re.findall(r'href="(/cases/\d+/)"', html)[:1]
    for username, pages in (("a_super", ["/dashboard/", "/clearing-requests/", "/staff/", "/settings-csv/"]),
                            ("a_audit", ["/exchanges/", "/audit-trail/"])):
        person = _Browser(base)
        person.post_form("/login/", {"username": username, "password": "nakama-demo-2026"})
        for attempt in range(2):
            shown = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "demo_otp", username], cwd=ROOT, check=True,
                env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DEBUG": "true"},
                capture_output=True, text=True,
            )
            try:
                person.post_form("/login/otp/", {"otp_token": shown.stdout.strip()})
                break
            except urllib.error.HTTPError as refused:
                # A code works once: a run of this test within the same 30 s used it (KEEP_DEMO keeps the data).
                seconds_left = int(re.search(r"あと(\d+)秒", shown.stderr).group(1))
                if attempt or refused.code != 400:
                    raise
                time.sleep(seconds_left + 1)
        for path in pages:
            person.get(path)
    portal = _Browser(base)
    portal.post_form("/portal/login/", {"card_number": "CARD-HANA-KOSA", "pin": "1111"})
    for path in ("/portal/", "/portal/self-info/", "/portal/history/", "/portal/proxies/"):
        portal.get(path)


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="needs the project's .venv")
def test_demo_prints_progress_and_the_banner_only_once_the_server_answers():
    port = _free_port()
    # KEEP_DEMO=1 so running the tests never wipes a developer's demo data (it is built when missing).
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PORT": str(port), "KEEP_DEMO": "1"}
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "demo")], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "職員コンソール:" in line:
                # The banner is out: the server must already answer.
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
                    assert response.status == 200
                _browse_the_demo(f"http://127.0.0.1:{port}")
                break
        else:
            pytest.fail("scripts/demo ended without its banner:\n" + "\n".join(lines))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    text = "\n".join(lines)
    steps = [line for line in lines if line.startswith("==> ")]
    assert any("インストール" in s for s in steps) and any("データベース" in s for s in steps)
    assert any("KEEP_DEMO=1" in s for s in steps)  # either rebuilt (and how to keep it) or kept
    assert text.index("==> サーバーを起動しています") < text.index("職員コンソール:")


def test_readme_starts_with_the_two_commands_and_maps_the_customers_words():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[0] for line in block[:2]] == ["scripts/demo", "scripts/test"]
    assert "KEEP_DEMO=1 scripts/demo" in readme and "rebuilt on every start" in readme
    assert "Middleware auto-applies 不開示コード on outbound queries" in readme
    assert "exchanges/services.send_inquiry" in readme and "flags/policy.py" in readme
    assert "「Ａ健康保険組合 業務部」" in readme and "加害者から見える内容" in readme


def test_console_home_shows_the_guided_tour_in_the_demo_only(alice, client, settings):
    client.force_login(alice)
    assert "デモの歩き方" not in client.get(reverse("console:home")).content.decode()
    settings.NAKAMA_DEMO = True
    body = client.get(reverse("console:home")).content.decode()
    assert "デモの歩き方" in body and "KEEP_DEMO=1 scripts/demo" in body
    assert "「Ａ健康保険組合 業務部」" in body and "加害者から見える内容" in body and "露出スイープ" in body


def test_each_row_of_the_guided_tour_links_to_its_page(alice, client, settings):
    """Issue 19: the tour's rows had no links."""
    import re

    settings.NAKAMA_DEMO = True
    client.force_login(alice)
    body = client.get(reverse("console:home")).content.decode()
    tour = body[body.index("デモの歩き方"):body.index("</table>", body.index("デモの歩き方"))]
    rows = re.findall(r"<tr><td class=\"nowrap\">.*?</tr>", tour, re.DOTALL)
    assert len(rows) == 6
    expected = [reverse("console:exchange_list"), reverse("console:inquiry_new"), reverse("portal_sim:login"),
                reverse("console:manual_queue"), reverse("console:inquiry_new"), reverse("console:member_search")]
    for row, url in zip(rows, expected, strict=True):
        assert f'href="{url}"' in row, row
    for url in set(expected):
        assert client.get(url).status_code in (200, 302)
