"""追記依頼 NWS has not processed: the 責任者's dashboard counts them across the insurer with the oldest age; a
担当者's home counts her own."""

import re

from django.urls import reverse

from exchanges.nws import process_pending_append_requests
from exchanges.services import InquiryRequest, file_append_request, send_inquiry


def _tile(body: str) -> str:
    match = re.search(r'<a class="tile" href="[^"]*"[^>]*><span class="num">(\d+)</span>処理待ちの追記依頼', body)
    assert match, "no pending 追記依頼 tile"
    return match.group(1)


def test_dashboard_and_home_count_pending_append_requests_until_nws_processes_them(
    scene, alice, sam, as_user, items, procedures, city_otsu
):
    record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_otsu, member=scene.ordinary))
    file_append_request(actor=sam, record=record, reason="後から設定対象者と判明")
    dashboard = as_user(sam).get(reverse("console:dashboard")).content.decode()
    assert _tile(dashboard) == "1" and "表示されたまま" in dashboard
    assert _tile(as_user(alice).get(reverse("console:home")).content.decode()) == "0"  # not hers
    process_pending_append_requests()
    assert _tile(as_user(sam).get(reverse("console:dashboard")).content.decode()) == "0"
