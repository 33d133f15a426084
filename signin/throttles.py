"""Per-address throttles for the sign-in pages (HTML), sharing DRF's cache-based counter and its rates.

DRF's throttles need a DRF view; the console, admin and portal sign-in pages are Django views, so the same
SimpleRateThrottle counts their POSTs by client address here (signin.middleware answers 429 in Japanese).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class AddressThrottle(SimpleRateThrottle):
    """POSTs per client address (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES trusted proxies)."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def get_rate(self) -> str:
        # Read at each use, not at import, so an operator's environment (and a test's settings) apply.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
