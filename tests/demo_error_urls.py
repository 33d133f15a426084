"""The site's URLs plus one page that fails, for the error-page tests (tests/test_error_pages.py)."""

from django.urls import path

from nakama.urls import handler500
from nakama.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *site_urlpatterns]
__all__ = ["handler500", "urlpatterns"]
