"""Issue 18 ⑦: secrets stay out. The application reads only its own variables (nakama/environment.py): a .env holding
the superuser's and the owner's passwords (as compose needs it) leaves them out of os.environ and out of the
settings. `.dockerignore` keeps .env, .git, local environments and databases out of the image's `COPY . .`.

On main, settings.py loaded .env into os.environ, and there was no .dockerignore.
"""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from nakama.environment import APP_VARIABLES, SETUP_ONLY, AppEnviron, app_environ

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "nakama" / "settings.py"

SUPERUSER_PASSWORD = "su-" + secrets.token_hex(12)
OWNER_PASSWORD = "owner-" + secrets.token_hex(12)
RUNTIME_PASSWORD = "app-" + secrets.token_hex(12)


def _strings(value, seen=None) -> list[str]:
    """Every string reachable from a settings value (dicts, lists, objects' attributes are not needed here)."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, (str, bytes)):
        return [value if isinstance(value, str) else value.decode("latin-1")]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k, seen) + _strings(v, seen)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in _strings(v, seen)]
    return [str(value)] if isinstance(value, (Path, int, float)) else []


@pytest.fixture
def env_file(tmp_path, monkeypatch):
    """A .env as compose wants it: the app's values and the set-up's passwords side by side."""
    path = tmp_path / ".env"
    path.write_text("\n".join([
        "DEBUG=false",
        f"SECRET_KEY={secrets.token_urlsafe(50)}",
        f"DATABASE_URL=postgres://nakama_app:{RUNTIME_PASSWORD}@db:5432/nakama",
        "ALLOWED_HOSTS=nakama.example.jp",
        f"POSTGRES_PASSWORD={SUPERUSER_PASSWORD}",
        f"NAKAMA_DB_OWNER_PASSWORD={OWNER_PASSWORD}",
        f"NAKAMA_DB_RUNTIME_PASSWORD={RUNTIME_PASSWORD}",
        "export NAKAMA_DB_OWNER=nakama_owner",
        "",
    ]))
    for name in APP_VARIABLES | SETUP_ONLY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NAKAMA_ENV_FILE", str(path))
    return path


def test_settings_read_their_own_values_from_env_but_no_setup_password_reaches_the_process(env_file):
    before = dict(os.environ)
    loaded = runpy.run_path(str(SETTINGS))
    # The app's own values came from the file ...
    assert loaded["DATABASES"]["default"]["HOST"] == "db"
    assert loaded["ALLOWED_HOSTS"] == ["nakama.example.jp"]
    # ... the set-up's did not: not in the process environment, nowhere in the settings.
    assert dict(os.environ) == before
    for name in SETUP_ONLY:
        assert name not in os.environ
    values = [s for name, value in loaded.items() if name.isupper() for s in _strings(value)]
    assert values and not any(SUPERUSER_PASSWORD in v or OWNER_PASSWORD in v for v in values)
    assert not any(name in SETUP_ONLY for name in loaded["env"].ENVIRON)


def test_a_subprocess_of_the_app_inherits_no_setup_password(env_file):
    """What the application starts (e.g. pg_dump, gunicorn workers) inherits os.environ: check a real child."""
    code = ("import os, runpy; runpy.run_path(os.environ['SETTINGS']); import subprocess, sys; "
            "sys.stdout.write(subprocess.run(['env'], capture_output=True, text=True).stdout)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "SETTINGS": str(SETTINGS)}).stdout
    assert "DATABASE_URL" not in out  # settings read it without exporting it
    assert SUPERUSER_PASSWORD not in out and OWNER_PASSWORD not in out


def test_the_process_environment_still_wins_over_the_file(env_file, monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "other.example.jp")
    assert runpy.run_path(str(SETTINGS))["ALLOWED_HOSTS"] == ["other.example.jp"]


def test_a_variable_outside_the_allow_list_cannot_be_read(tmp_path):
    environ = app_environ(tmp_path / "missing.env", {"POSTGRES_PASSWORD": "x", "DEBUG": "true"})
    assert dict(environ) == {"DEBUG": "true"}
    with pytest.raises(ImproperlyConfigured, match="APP_VARIABLES"):
        environ["POSTGRES_PASSWORD"]
    with pytest.raises(KeyError):
        AppEnviron({})["DEBUG"]


def test_every_variable_the_settings_read_is_on_the_allow_list_and_no_password_of_the_setup_is():
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', SETTINGS.read_text()))
    assert read and read <= APP_VARIABLES
    assert not APP_VARIABLES & SETUP_ONLY
    example = {line.split("=", 1)[0].removeprefix("# ").strip() for line in (ROOT / ".env.example").read_text()
               .splitlines() if re.match(r"^(# )?[A-Z_]+=", line)}
    assert example <= APP_VARIABLES | SETUP_ONLY, example - APP_VARIABLES - SETUP_ONLY


# --- .dockerignore: what `COPY . .` would send ---

def _dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(exclude?, regex) per line, with Docker's semantics: paths relative to the context root, `*` within one
    segment, `**` any number of segments, `!` re-includes, the last matching line wins."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i:end + 1], end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((not negate, re.compile(regex + r"\Z")))
    return rules


def copied(path: str, rules=None) -> bool:
    """Would `COPY . .` put this file (relative path) into the image? A rule matching a parent directory counts."""
    rules = rules if rules is not None else _dockerignore_rules()
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    excluded = False
    for exclude, regex in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = exclude
    return not excluded


@pytest.mark.parametrize("path", [
    ".env", ".env.local", ".env.production", "nakama/.env", "deploy/.env.prod", ".git/HEAD", ".git/objects/ab/cd",
    ".venv/bin/python", ".venv/lib/python3.11/site-packages/django/__init__.py", "venv/bin/python",
    "nakama.sqlite3", "demo/nakama.sqlite3", "nakama.sqlite3-journal", "nakama-20270101.dump", "bench/out/run.csv",
    "api/__pycache__/auth.cpython-311.pyc", ".pytest_cache/v/cache/nodeids", ".hypothesis/examples/x",
    "staticfiles/app.css", "nakama.egg-info/PKG-INFO", "server.key",
])
def test_dockerignore_keeps_secrets_history_and_local_data_out_of_the_image(path):
    assert not copied(path), path


def test_copy_dot_still_sends_everything_the_image_needs():
    rules = _dockerignore_rules()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    needed = [p for p in tracked if p.split("/")[0] not in {".ci", ".gitignore", ".dockerignore"}]
    missing = [p for p in needed if not copied(p, rules)]
    assert not missing, missing
    for path in ("manage.py", "pyproject.toml", ".env.example", "nakama/settings.py", "nakama/wsgi.py",
                 "static/console.css" if (ROOT / "static/console.css").exists() else "templates/base.html"):
        assert copied(path, rules), path


def test_dockerfile_and_compose_need_nothing_the_dockerignore_leaves_out():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for sources in re.findall(r"^COPY\s+(.+)\s+\S+$", dockerfile, flags=re.M):
        for source in sources.split():
            assert source == "." or copied(source), source
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "env_file" not in compose  # containers get only the variables listed for them
    app = compose.split("\n  app:\n", 1)[1]
    assert "POSTGRES_PASSWORD" not in app and "NAKAMA_DB_OWNER_PASSWORD" not in app and "OWNER_URL" not in app
