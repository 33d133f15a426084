"""Nakama settings: one module, every deployment value read from the environment (django-environ)."""

import datetime
import os
from pathlib import Path

import environ

from nakama.environment import app_environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]", "testserver"]),
    NAKAMA_SIM_API=(bool, False),
)
# Only the application's own variables (nakama/environment.py APP_VARIABLES), from the process environment or .env
# (NAKAMA_ENV_FILE names another file); .env is never copied into os.environ, so the set-up passwords it holds for
# compose (superuser, owner) do not reach this process.
env.ENVIRON = app_environ(Path(os.environ.get("NAKAMA_ENV_FILE") or BASE_DIR / ".env"))

DEBUG = env("DEBUG")
# No default outside DEBUG: the hardening block at the end refuses to start without a strong SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "api.knox_app.KnoxConfig",  # knox, named in Japanese in the admin
    "drf_spectacular",
    "drf_spectacular_sidecar",  # ReDoc served from our static files: the API docs work offline
    "django_filters",
    "import_export",
    "pgtrigger",
    "institutions",
    "members",
    "audit",
    "flags",
    "exchanges",
    "portal_sim",
    "console",
    "flagcsv",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestIdMiddleware",
]

ROOT_URLCONF = "nakama.urls"
WSGI_APPLICATION = "nakama.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite file by default so the demo needs no server; CI sets DATABASE_URL to PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'nakama.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "institutions.Staff"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
# Japanese for the messages a library's own catalogue leaves in English (DRF's list limits, among others).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["knox.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nakama API (医療保険者等向け中間サーバー)",
    "DESCRIPTION": "保険者システム向けAPIと、シミュレーション世界のAPI。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SettingKindEnum": "api.views.flag_settings.SETTING_KIND_CHOICES",
        "InsurerKindEnum": "api.views.sim.world.INSURER_KINDS",
    },
}
# The schema states what the parsers refuse (control characters, the Idempotency-Key's form; api/parsers.py).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = ["drf_spectacular.hooks.postprocess_schema_enums",
                                               "api.parsers.declare_refused_input"]
SPECTACULAR_SETTINGS["REDOC_DIST"] = "SIDECAR"  # no CDN (and no @latest): the docs page works offline
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}

# /api/sim/ builds the simulated world over HTTP; off unless enabled (the demo command enables it).
NAKAMA_SIM_API = env("NAKAMA_SIM_API")
# The demo's guided tour on the console home page (scripts/demo sets it; the seeded world's logins and cards).
NAKAMA_DEMO = env.bool("NAKAMA_DEMO", default=False)

IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# --- Hardening (issue 9: simulation key, SECRET_KEY, HTTPS, CSP, no-store) ---
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set a long random SECRET_KEY (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or DEBUG=true for local development only."
        )
    SECRET_KEY = "django-insecure-nakama-local-demo-only"
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
                    or "change-me" in SECRET_KEY):
    # The same test as Django's security.W009, refused instead of warned: a guessable key signs sessions.
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")

# /api/sim/ creates staff and tokens: outside DEBUG it needs an explicit key, sent by every caller in the
# X-Nakama-Sim-Key header (api/permissions.py HasSimKey); `check --deploy` reports an error while it is on.
NAKAMA_SIM_KEY = env("NAKAMA_SIM_KEY", default="")
SIM_KEY_MIN_LENGTH = 32
if NAKAMA_SIM_API and not DEBUG and not NAKAMA_SIM_KEY:
    raise ImproperlyConfigured("NAKAMA_SIM_API is on without DEBUG: set NAKAMA_SIM_KEY, or turn NAKAMA_SIM_API off.")
if NAKAMA_SIM_KEY and len(NAKAMA_SIM_KEY) < SIM_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(f"NAKAMA_SIM_KEY must be at least {SIM_KEY_MIN_LENGTH} characters.")

if not DEBUG:
    # HTTPS only. Behind a TLS-terminating proxy that sets X-Forwarded-Proto, set SECURE_PROXY_SSL_HEADER=true.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): our own static files only, no inline script or style.
# The API docs page (ReDoc) gets its own policy in api/urls.py.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
INSTALLED_APPS += ["csp"]
# Every string of every API body is checked for control characters (api/parsers.py).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["api.parsers.JSONParser", "api.parsers.FormParser",
                                            "api.parsers.MultiPartParser"]
# After WhiteNoise, so static files (which carry no personal data) keep their cache headers; before the sign-in
# middleware below, so its own answers (lockout, throttle, session end) carry both headers too.
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "nakama.middleware.NoStoreMiddleware"]

# --- Sign-in fit for this data (issue 9 ⑥): lockout, second factor, session clocks, token expiry, throttles. ---
# Every figure comes from the environment; the defaults are the ones the README states.
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "signin"]
MIDDLEWARE += [
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "signin.middleware.SignInGuardMiddleware",  # throttle sign-in POSTs, session clocks, TOTP step required
    "axes.middleware.AxesMiddleware",  # turns a locked-out sign-in into signin.views.locked_out
    "nakama.middleware.DemoErrorPagesMiddleware",  # the demo's Japanese 404/500 also with DEBUG on
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Lockout (django-axes) on the console and admin sign-in: by username, not by address. Many clerks of one office
# share one NAT address; locking the address would lock the whole office out on one person's typos, and
# username+address would give an attacker a fresh count from every other address.
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("SIGNIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address in the lockout; the address is limited by the "signin" throttle below instead.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "signin.views.locked_out"
AXES_ENABLE_ADMIN = False  # unlock with `manage.py axes_reset_username <name>`, not by editing rows in the admin
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0) or None
# Second factor (django-otp TOTP): required for 責任者, 監査者 and the operator (signin.policy); no setting turns
# it off. OTP_TOTP_THROTTLE_FACTOR (1): after n wrong codes a device waits 2^(n-1) seconds.
OTP_TOTP_ISSUER = "Nakama"
# Session clocks (signin.middleware): idle and absolute, in seconds; the cookie never outlives the absolute one.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_HOURS", default=8) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# API tokens (knox) expire; an expired token is refused with 401 and the JSON error body.
REST_KNOX = {**REST_KNOX, "TOKEN_TTL": datetime.timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24 * 30))}
# How long a stored Idempotency-Key answer replays (api/idempotency.py); `manage.py purge_idempotency_keys`, run
# daily, deletes older ones. The answers hold personal data (provided content), so they are not kept longer.
IDEMPOTENCY_KEY_TTL = datetime.timedelta(hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24))
# Throttles (DRF's cache counter; the sign-in pages use the same counter per address, signin.throttles).
# Several workers need one shared cache (CACHE_URL=redis://…), or each counts alone.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["rest_framework.throttling.ScopedRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "signin": env("SIGNIN_THROTTLE_RATE", default="60/min"),  # console, admin and TOTP-step POSTs per address
    "portal_signin": env("PORTAL_THROTTLE_RATE", default="10/min"),  # portal card sign-in per address
    "portal": env("PORTAL_THROTTLE_RATE", default="10/min"),  # /api/sim/portal… (card + PIN) per address
    "token": env("TOKEN_THROTTLE_RATE", default="30/min"),  # token endpoints per token (or address)
}
REST_FRAMEWORK["NUM_PROXIES"] = env.int("TRUSTED_PROXY_COUNT", default=0)  # never trust a client's X-Forwarded-For
# Read replica (issue 12, docs/scaling.md): portal and auditor reads inside nakama.routers.replica_reads() go to
# DATABASE_REPLICA_URL when it is set. Without it the alias is a mirror of the primary that nothing reads from
# (no connection is opened); in tests it mirrors the test database.
_replica_url = env("DATABASE_REPLICA_URL", default="")
NAKAMA_READ_REPLICA = bool(_replica_url)
DATABASES["replica"] = env.db_url_config(_replica_url) if _replica_url else dict(DATABASES["default"])
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["nakama.routers.ReplicaRouter"]

# Issue 12 (an inquiry in a handful of statements): persistent connections, checked before each request's first
# query (CONN_HEALTH_CHECKS) so a connection PostgreSQL dropped is replaced rather than failing the request.
# CONN_MAX_AGE seconds from the environment (0 = a new connection per request, Django's default).
for _alias in ("default", "replica"):
    DATABASES[_alias]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True
# knox's token lookup in one statement (api/auth.py: no read of the user's other tokens on every request).
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = ["api.auth.TokenAuthentication"]
