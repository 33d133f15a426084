"""In headless Chromium: a supervisor checks the export, downloads the cp932 file, and it opens with the rows."""

import csv
import io
from pathlib import Path

import pytest

from flagcsv.columns import COLUMNS
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from tests.conftest import totp_code


@pytest.fixture(autouse=True)
def _catalogue(transactional_db):
    """A transactional test starts from tables another one may have flushed (serialized_rollback would collide
    with the content types that flush's post_migrate recreates)."""
    ensure_catalogue(InfoItem, Procedure)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_supervisor_downloads_the_cp932_file(browser, live_server, sam, settings_world):
    sam.set_password("pw-for-tests-1")
    sam.save()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    try:
        _download_as_supervisor(context.new_page(), live_server, totp_code(sam))
    finally:
        # Closing the context closes its keep-alive sockets, so the live server's request threads (and their
        # database connections) end before the test database is dropped.
        context.close()


def _download_as_supervisor(page, live_server, code: str):
    page.goto(f"{live_server.url}/login/?next=/settings-csv/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/login/otp/**")  # a 責任者 types the TOTP code next
    page.fill("#id_otp_token", code)
    page.click("#id_otp_submit")
    page.wait_for_url("**/settings-csv/")
    assert page.get_attribute("html", "lang") == "ja"
    page.select_option("#id_encoding", "cp932")
    page.click("text=内容を確認")
    assert "〓田 美和" in page.content() and "𠮷田 美和" in page.content()
    with page.expect_download() as download_info:
        page.click("text=CSVをダウンロード")
    data = Path(download_info.value.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    assert rows[0] == list(COLUMNS)
    assert [r[3] for r in rows if r[1] == '="A0000002"'] == ["〓田 美和"]
    assert rows[-1][0] == "※注記"
    assert len([r for r in rows[1:] if not r[0].startswith("※")]) == 4
    page.screenshot(path="/tmp/flagcsv_export.png", full_page=True)
