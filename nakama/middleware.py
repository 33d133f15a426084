"""Response headers every dynamic answer gets (pages, API, CSV): none of it may be kept by a browser or proxy."""

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
