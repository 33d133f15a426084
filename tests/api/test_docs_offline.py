"""The API docs page (ReDoc) works with no network: every request that leaves the machine is aborted, and the page
still lists the operations, because ReDoc comes from our own static files (drf-spectacular-sidecar)."""

import os
from urllib.parse import urlsplit

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
REDOC_ATTRIBUTION_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_api_docs_list_the_operations_with_the_network_blocked(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    blocked, failed = [], []

    def only_this_machine(route):
        if urlsplit(route.request.url).hostname in ("localhost", "127.0.0.1"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_machine)
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        page.goto(live_server.url + "/api/schema/docs/")
        page.wait_for_selector("[data-section-id^='operation/']", timeout=30000)
        operations = page.locator("[data-section-id^='operation/']").count()
        text = page.inner_text("body")
        logo_sources = page.eval_on_selector_all("img[alt='redocly logo']", "els => els.map(e => e.src)")
        page.screenshot(path="/tmp/api-docs-offline.png")
    finally:
        context.close()
    # Nothing leaves this machine and nothing fails: ReDoc's 「API docs by Redocly」 logo, once fetched from its CDN
    # (and refused by our own CSP), is served from our static files (api/docs.py).
    assert not blocked and not failed, (blocked, failed)
    assert REDOC_ATTRIBUTION_LOGO not in logo_sources and any(s.endswith("/static/redoc-logo-mini.svg")
                                                                for s in logo_sources), logo_sources
    assert operations >= 20
    assert "/api/v1/members/" in text
