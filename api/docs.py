"""ReDoc's script for the API docs page, from drf-spectacular-sidecar's own copy, with the one thing it fetched from a
CDN (the 「API docs by Redocly」 logo, refused by our CSP: img-src 'self') pointed at our static copy instead."""

import functools

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
LOCAL_LOGO = "redoc-logo-mini.svg"  # static/


@functools.cache
def _bundle() -> bytes:
    with open(finders.find(BUNDLE), "rb") as handle:
        script = handle.read()
    return script.replace(CDN_LOGO.encode(), static(LOCAL_LOGO).encode())


def redoc_script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_bundle(), content_type="text/javascript; charset=utf-8")
