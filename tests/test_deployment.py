"""Deployment settings (issue 9 points 1 and 8): no default SECRET_KEY outside DEBUG, the simulated world refused in
production, `check --deploy` clean with the values of .env.example and docker-compose.yml, the container not root."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "nakama" / "settings.py"
STRONG_KEY = secrets.token_urlsafe(50)


def load_settings(monkeypatch, **env) -> dict:
    """Run nakama/settings.py with exactly these deployment variables (nothing inherited from the test settings)."""
    for name in ("SECRET_KEY", "DEBUG", "NAKAMA_SIM_API", "NAKAMA_SIM_KEY", "SECURE_SSL_REDIRECT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_without_secret_key_outside_debug_the_app_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(monkeypatch, DEBUG="false")


@pytest.mark.parametrize("key", ["change-me-to-a-long-random-string", "django-insecure-" + "x" * 60, "ab" * 40])
def test_a_weak_or_placeholder_secret_key_outside_debug_is_refused(monkeypatch, key):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_settings(monkeypatch, DEBUG="false", SECRET_KEY=key)


def test_debug_alone_may_use_the_local_demo_key(monkeypatch):
    assert load_settings(monkeypatch, DEBUG="true")["SECRET_KEY"].startswith("django-insecure-")


def test_simulation_api_without_debug_and_without_key_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="NAKAMA_SIM_KEY"):
        load_settings(monkeypatch, DEBUG="false", SECRET_KEY=STRONG_KEY, NAKAMA_SIM_API="true")


def test_simulation_api_with_a_short_key_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="NAKAMA_SIM_KEY"):
        load_settings(monkeypatch, DEBUG="true", NAKAMA_SIM_API="true", NAKAMA_SIM_KEY="short")


def test_simulation_api_starts_with_debug_or_with_an_explicit_key(monkeypatch):
    assert load_settings(monkeypatch, DEBUG="true", NAKAMA_SIM_API="true")["NAKAMA_SIM_API"] is True
    loaded = load_settings(monkeypatch, DEBUG="false", SECRET_KEY=STRONG_KEY, NAKAMA_SIM_API="true",
                           NAKAMA_SIM_KEY="k" * 16 + "ey-of-the-simulation-0123")
    assert loaded["NAKAMA_SIM_API"] is True and loaded["SECURE_SSL_REDIRECT"] is True


def test_check_deploy_reports_an_error_while_the_simulation_is_enabled(settings):
    settings.NAKAMA_SIM_API = True
    with pytest.raises(SystemCheckError, match="nakama.E001"):
        call_command("check", deploy=True, tags=["security"])


def _env_file(path: Path) -> dict:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _compose_app_environment() -> dict:
    """The app service's `environment:` of docker-compose.yml (a flat mapping; no YAML library needed)."""
    text = (ROOT / "docker-compose.yml").read_text()
    block = re.search(r"^  app:\n(?:    .*\n|\n)*?    environment:\n((?:      .*\n)+)", text, re.MULTILINE)
    assert block, "docker-compose.yml has no app environment"
    values = {}
    for line in block.group(1).splitlines():
        name, _, value = line.strip().partition(":")
        value = value.strip().strip('"')
        default = re.fullmatch(r"\$\{\w+:-(.*)\}", value)  # ${VAR:-default}: the value compose uses when unset
        values[name] = default.group(1) if default else value
    return values


@pytest.mark.parametrize("source", [".env.example", "docker-compose.yml"])
def test_check_deploy_is_clean_with_the_production_values(source):
    values = _env_file(ROOT / ".env.example") if source == ".env.example" else _compose_app_environment()
    # Placeholders the operator fills in: a real random key, a database password, a host name.
    values["SECRET_KEY"] = STRONG_KEY
    values["DATABASE_URL"] = "postgres://nakama:secret@db:5432/nakama"
    values["ALLOWED_HOSTS"] = "nakama.example.jp"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "DJANGO_SETTINGS_MODULE": "nakama.settings", **values}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_the_container_runs_as_an_unprivileged_user():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split(None, 1)[1] for line in lines if line.startswith("USER ")]
    assert users, "Dockerfile has no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    cmd = max(i for i, line in enumerate(lines) if line.startswith("CMD"))
    assert max(i for i, line in enumerate(lines) if line.startswith("USER ")) < cmd
