"""The supervisor's CSV output of settings (renewal ③): the downloaded file, parsed in both encodings, against
the database."""

from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from audit.models import AuditEntry
from flagcsv.columns import COLUMNS
from flags.models import Setting
from tests.flagcsv.helpers import body, download, parse

ENCODINGS = ["utf-8-sig", "cp932"]
TOKYO = ZoneInfo("Asia/Tokyo")


def _expected(setting: Setting, *, geta: bool = False) -> list[str]:
    """Written independently of flagcsv.export so a formatting slip there shows up here."""
    name = setting.member.name.replace("𠮷", "〓") if geta else setting.member.name
    reason = "'" + setting.reason if setting.reason.startswith("=") else setting.reason
    cleared = setting.cleared_at is not None
    return [
        setting.institution.insurer_number,
        setting.member.branch_number,
        name,
        setting.item.name if setting.item else "全体",
        {"non_disclosure": "不開示該当フラグ", "no_self_info": "自己情報提供不可フラグ",
         "no_auto_response": "自動応答不可フラグ"}[setting.kind],
        setting.set_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
        setting.set_by_name,
        reason,
        "解除済" if cleared else "設定中",
        setting.cleared_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S") if cleared else "",
        setting.cleared_by_name if cleared else "",
        setting.clear_reason if cleared else "",
    ]


def _db_rows(insurer, *, geta=False):
    qs = Setting.objects.filter(institution=insurer).select_related("institution", "member", "item")
    return [_expected(s, geta=geta) for s in qs.order_by("member__branch_number", "set_at", "id")]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_file_matches_database_in_both_encodings(client, sam, insurer_a, settings_world, encoding):
    client.force_login(sam)
    response = download(client, encoding=encoding)
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith("attachment;")
    rows = parse(body(response), encoding)
    assert rows[0] == list(COLUMNS)
    data = [r for r in rows[1:] if not r[0].startswith("※")]
    assert data == _db_rows(insurer_a, geta=encoding == "cp932")
    assert len(data) == 4 and response["X-Nakama-Row-Count"] == "4"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_other_insurers_rows_and_nondisclosure_codes_are_absent(client, sam, settings_world, encoding):
    client.force_login(sam)
    rows = parse(body(download(client, encoding=encoding)), encoding)
    other = settings_world["other"]
    flat = "\n".join(",".join(r) for r in rows)
    assert other.institution.insurer_number not in flat
    assert other.member.branch_number not in flat and other.member.name not in flat
    assert "B保険者の設定" not in flat
    assert "不開示コード" not in flat  # a per-exchange code, never part of the settings file


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_cleared_setting_shows_as_cleared_with_who_when_why(client, sam, settings_world, encoding):
    client.force_login(sam)
    rows = parse(body(download(client, encoding=encoding)), encoding)
    cleared = [r for r in rows if r[4] == "自動応答不可フラグ" and r[1] == "A0000001"]
    assert len(cleared) == 1
    r = dict(zip(COLUMNS, cleared[0], strict=True))
    # 解除者 is the approving supervisor (sue), not the requester (alice): issue 10 point 4.
    assert r["状態"] == "解除済" and r["解除者"] == "スー 責任者" and r["解除理由"] == "カード停止の完了を確認"
    assert r["解除日時"] == settings_world["cleared"].cleared_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")


def test_unencodable_name_is_replaced_and_reported_in_cp932(client, sam, settings_world):
    client.force_login(sam)
    response = download(client, encoding="cp932")
    rows = parse(body(response), "cp932")
    line = next(i for i, r in enumerate(rows, start=1) if r[1] == "A0000002")
    assert rows[line - 1][2] == "〓田 美和"
    # Reported in the file itself (closing note), in the headers and in the audit entry.
    assert rows[-1][0] == "※注記" and f"{line} 行目" in rows[-1][1] and "1行" in rows[-1][1]
    assert response["X-Nakama-Replaced-Row-Count"] == "1"
    assert response["X-Nakama-Replaced-Rows"] == str(line)
    entry = AuditEntry.objects.get(action="settings_csv.exported")
    assert entry.after["replaced_rows"] == 1 and entry.after["replaced_lines"] == [line]
    assert entry.after["encoding"] == "cp932" and entry.after["rows"] == 4
    assert "〓に置き換えた行 1行" in entry.message


def test_unencodable_name_is_intact_in_utf8(client, sam, settings_world):
    client.force_login(sam)
    response = download(client, encoding="utf-8-sig")
    rows = parse(body(response), "utf-8-sig")
    assert [r[2] for r in rows if r[1] == "A0000002"] == ["𠮷田 美和"]
    assert not any(r[0].startswith("※") for r in rows)
    assert response["X-Nakama-Replaced-Row-Count"] == "0"


def test_pre_export_page_lists_the_affected_rows(client, sam, settings_world):
    client.force_login(sam)
    response = client.get(reverse("flagcsv:export"), {"encoding": "cp932", "kind": "", "state": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "出力する行数: <strong>4</strong>行" in page
    assert "A0000002" in page and "𠮷田 美和" in page and "〓田 美和" in page
    assert AuditEntry.objects.filter(action="settings_csv.checked").count() == 1
    # Nothing is downloaded, so no export entry.
    assert not AuditEntry.objects.filter(action="settings_csv.exported").exists()


def test_filter_by_kind_and_state(client, sam, settings_world):
    client.force_login(sam)
    rows = parse(body(download(client, kind="no_auto_response", state="active")), "utf-8-sig")[1:]
    assert [(r[1], r[4], r[8]) for r in rows] == [("A0000002", "自動応答不可フラグ", "設定中")]
    rows = parse(body(download(client, state="cleared")), "utf-8-sig")[1:]
    assert [(r[1], r[4], r[8]) for r in rows] == [("A0000001", "自動応答不可フラグ", "解除済")]
    rows = parse(body(download(client, kind="non_disclosure")), "utf-8-sig")[1:]
    assert [(r[1], r[4]) for r in rows] == [("A0000001", "不開示該当フラグ")]
    entry = AuditEntry.objects.filter(action="settings_csv.exported").order_by("id").first()
    assert entry.actor == sam and entry.institution == sam.institution
    assert entry.after["kind"] == "no_auto_response" and entry.after["state"] == "active" and entry.after["rows"] == 1


def test_formula_like_text_cannot_run_in_excel(client, sam, settings_world):
    client.force_login(sam)
    rows = parse(body(download(client)), "utf-8-sig")
    assert [r[7] for r in rows if r[1] == "A0000002"] == ["'=手動で確認すること"]


def test_bad_filter_is_refused(client, sam, settings_world):
    client.force_login(sam)
    assert download(client, encoding="latin-1").status_code == 400
    assert download(client, kind="not_a_kind").status_code == 400
    assert not AuditEntry.objects.filter(action="settings_csv.exported").exists()


def test_empty_export_is_header_only(client, sam):
    client.force_login(sam)
    for encoding in ENCODINGS:
        assert parse(body(download(client, encoding=encoding)), encoding) == [list(COLUMNS)]


def test_many_rows_span_several_pieces_with_one_bom(client, sam, yoshida, plain_member, items):
    """More rows than one written piece: row numbers in the report still match the file."""
    from tests.flagcsv.test_export_memory import bulk_settings

    bulk_settings(plain_member, 1200)
    bulk_settings(yoshida, 3)
    client.force_login(sam)
    response = download(client, encoding="cp932")
    rows = parse(body(response), "cp932")
    assert len(rows) == 1 + 1203 + 1
    lines = [i for i, r in enumerate(rows, start=1) if r[1] == "A0000002"]
    assert len(lines) == 3 and all(rows[i - 1][2] == "〓田 美和" for i in lines)
    assert response["X-Nakama-Replaced-Rows"] == ",".join(map(str, lines))
    assert parse(body(download(client)), "utf-8-sig")[1:] and True
