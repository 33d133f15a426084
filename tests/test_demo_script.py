"""scripts/demo explains itself: progress lines before the server starts, the addresses only once it answers, and
the word that the demo data is rebuilt on each start (KEEP_DEMO=1 keeps it). The README keeps its two commands
first and carries the guided tour; the console home page shows the tour in the demo only."""

import os
import pathlib
import signal
import socket
import subprocess
import urllib.request

import pytest
from django.urls import reverse

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
