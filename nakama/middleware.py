"""Response headers every dynamic answer gets (pages, API, CSV): none of it may be kept by a browser or proxy."""

from django.conf import settings
from django.http import Http404
from django.urls import get_resolver
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Cache-Control: no-store on every response that reaches Django's views. Static files are served by WhiteNoise
    before this middleware and keep their long cache lifetime; they hold no personal data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, max-age=0
        return response


# Django's own debug pages (technical 404 and 500) carry this line; our pages never do.
_DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


class DemoErrorPagesMiddleware:
    """In the demo (NAKAMA_DEMO with DEBUG on), our Japanese 404 and 500 pages instead of Django's English debug
    pages, which list every URL of the site (404) or the code and settings (500). The traceback still goes to the
    server's log. 403 needs nothing: Django shows our 403 page with DEBUG on too. Last in MIDDLEWARE, so the page it
    puts in place still passes the CSP and no-store middleware on its way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code not in (404, 500) or not (settings.DEBUG and settings.NAKAMA_DEMO):
            return response
        if getattr(response, "streaming", False) or _DEBUG_PAGE_MARK not in response.content[:2000]:
            return response
        handler = get_resolver().resolve_error_handler(response.status_code)
        return handler(request, Http404()) if response.status_code == 404 else handler(request)
