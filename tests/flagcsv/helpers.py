"""Helpers for the settings-file tests: download through the console, parse the bytes, build upload files."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flagcsv.columns import COLUMNS, code_value


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


def records(data: bytes, encoding: str) -> list[dict[str, str]]:
    """The data rows (not the header, not the ※ note) by column name, code cells read back to their value."""
    rows = parse(data, encoding)
    assert rows[0] == list(COLUMNS)
    out = []
    for r in rows[1:]:
        if r[0].startswith("※"):
            continue
        cells = dict(zip(COLUMNS, r, strict=True))
        for column in ("保険者番号", "被保険者枝番", "記号・番号"):
            cells[column] = code_value(cells[column])
        out.append(cells)
    return out


def make_file(rows: list[list[str]], *, encoding="utf-8-sig", header=COLUMNS, name="settings.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def row(member, *, kind="不開示該当フラグ", scope="全体", state="設定中", reason="本人の申出", clear_reason="",
        number=None, name=None, set_by="ファイル上の設定者", set_at="2001-01-01 00:00:00"):
    """One data row in COLUMNS order, code cells bare (as Excel saves them after an edit)."""
    return [
        number if number is not None else member.insurer.insurer_number,
        member.branch_number,
        member.symbol_number,
        member.name if name is None else name,
        scope,
        kind,
        set_at,
        "平成13年1月1日",
        set_by,
        reason,
        state,
        "2001-02-02 00:00:00" if state == "解除済" else "",
        "平成13年2月2日" if state == "解除済" else "",
        "ファイル上の解除者" if state == "解除済" else "",
        clear_reason,
    ]
