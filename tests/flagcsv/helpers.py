"""Helpers for the settings-file tests: download through the console, parse the bytes, build upload files."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flagcsv.columns import COLUMNS


def download(client, *, encoding="utf-8-sig", kind="", state=""):
    return client.post(reverse("flagcsv:download"), {"encoding": encoding, "kind": kind, "state": state})


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def parse(data: bytes, encoding: str) -> list[list[str]]:
    """Decode strictly, as Excel would: cp932 without BOM, UTF-8 with exactly one BOM."""
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    else:
        assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode(encoding, errors="strict")
    return list(csv.reader(io.StringIO(text, newline="")))


def make_file(rows: list[list[str]], *, encoding="utf-8-sig", header=COLUMNS, name="settings.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def row(member, *, kind="不開示該当フラグ", scope="全体", state="設定中", reason="本人の申出", clear_reason="",
        number=None, name=None, set_by="ファイル上の設定者", set_at="2001-01-01 00:00:00"):
    return [
        number if number is not None else member.insurer.insurer_number,
        member.branch_number,
        member.name if name is None else name,
        scope,
        kind,
        set_at,
        set_by,
        reason,
        state,
        "2001-02-02 00:00:00" if state == "解除済" else "",
        "ファイル上の解除者" if state == "解除済" else "",
        clear_reason,
    ]
