"""The application's own environment (issue 18 ⑦): only the variables nakama/settings.py reads, nothing else.

`.env` also holds what only the set-up needs — the cluster superuser's password (compose's `POSTGRES_PASSWORD`) and
the owner's — because docker compose reads it for `${…}`. Loading it into os.environ, as `Env.read_env` does, put
those passwords in the application's process (and in every process it starts). Here the file and the process
environment are read into a private mapping holding only APP_VARIABLES; os.environ is never written. A name outside
the list cannot be read by the settings at all (ImproperlyConfigured), so a new variable is added here on purpose.
"""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# Every variable the settings read; nothing with a database owner's or superuser's password.
APP_VARIABLES = frozenset({
    "ALLOWED_HOSTS", "API_TOKEN_TTL_HOURS", "CACHE_URL", "CONN_MAX_AGE", "DATABASE_REPLICA_URL", "DATABASE_URL",
    "DEBUG", "IDEMPOTENCY_KEY_TTL_HOURS", "LOG_LEVEL", "NAKAMA_DEMO", "NAKAMA_SIM_API", "NAKAMA_SIM_KEY",
    "PORTAL_THROTTLE_RATE", "SECRET_KEY", "SECURE_COOKIES", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SESSION_ABSOLUTE_HOURS",
    "SESSION_IDLE_MINUTES", "SIGNIN_COOLOFF_MINUTES", "SIGNIN_FAILURE_LIMIT", "SIGNIN_THROTTLE_RATE",
    "TOKEN_THROTTLE_RATE", "TRUSTED_PROXY_COUNT",
})
# Read by the set-up only (compose, `create_db_roles`), never by the application: tests/hostile/test_secrets.py.
SETUP_ONLY = frozenset({"POSTGRES_PASSWORD", "NAKAMA_DB_OWNER_PASSWORD", "NAKAMA_DB_RUNTIME_PASSWORD",
                        "NAKAMA_DB_OWNER", "NAKAMA_DB_RUNTIME"})


class AppEnviron(Mapping):
    """The allowed variables only; asking for another name is a programming error, not a missing value."""

    def __init__(self, values: Mapping[str, str]):
        self._values = {name: values[name] for name in APP_VARIABLES if name in values}

    def __getitem__(self, name: str) -> str:
        if name not in APP_VARIABLES:
            raise ImproperlyConfigured(f"{name} is not a variable of the application: add it to "
                                       "nakama/environment.py APP_VARIABLES (never a set-up password).")
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _file_values(path: Path) -> dict[str, str]:
    """The .env file parsed as django-environ parses it, into a dict of its own (not os.environ)."""

    class _FileOnly(environ.Env):
        ENVIRON: dict[str, str] = {}

    _FileOnly.read_env(path, overwrite=True)
    return _FileOnly.ENVIRON


def app_environ(env_file: Path, process: Mapping[str, str] = os.environ) -> AppEnviron:
    """The application's variables: the process environment, then .env for what it does not set (as before)."""
    return AppEnviron({**_file_values(env_file), **process})
