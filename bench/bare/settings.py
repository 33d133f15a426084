"""The app's settings, plus one bare endpoint (bench/bare/urls.py): the limit POST /api/v1/inquiries/ is measured
against under the same gunicorn (bench/inquiry_http_bench.py)."""

from nakama.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare.urls"
