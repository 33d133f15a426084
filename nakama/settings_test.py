"""Settings for the test suite: production settings (DEBUG off) with a throwaway key and plain HTTP.

Only environment defaults are set here, before the one settings module reads them: a value already in the
environment wins, and subprocesses started by tests inherit the same values.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-" + "k3y-n0t-f0r-any-deployment-" * 3)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # the test client and live_server speak plain HTTP
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from nakama.settings import *  # noqa: E402,F403
