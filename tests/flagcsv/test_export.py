"""The supervisor's CSV output of settings (renewal ③): the downloaded file, parsed in both encodings, against
the database."""

from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from audit.models import AuditEntry
from flagcsv.columns import COLUMNS
from flags.models import Setting
from tests.flagcsv.helpers import body, download, parse, records

ENCODINGS = ["utf-8-sig", "cp932"]
TOKYO = ZoneInfo("Asia/Tokyo")


ERA_OF_YEAR = [("令和", 2018), ("平成", 1988), ("昭和", 1925)]


def _wareki(moment) -> str:
    """Written independently of nakama.wareki (dates in these tests are all after 昭和64年 / 平成元年 anyway)."""
    day = moment.astimezone(TOKYO).date()
    starts = {"令和": (2019, 5, 1), "平成": (1989, 1, 8), "昭和": (1926, 12, 25)}
    for era, offset in ERA_OF_YEAR:
        if (day.year, day.month, day.day) >= starts[era]:
            year = day.year - offset
            return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    raise AssertionError(day)


def _expected(setting: Setting, *, geta: bool = False) -> list[str]:
    """Written independently of flagcsv.export so a formatting slip there shows up here."""
    name = setting.member.name.replace("𠮷", "〓") if geta else setting.member.name
    reason = "'" + setting.reason if setting.reason.startswith("=") else setting.reason
    cleared = setting.cleared_at is not None
    return [
        f'="{setting.institution.insurer_number}"',
        f'="{setting.member.branch_number}"',
        setting.member.symbol_number,  # 記号1 番号N: not a bare code, written as text
        name,
        setting.item.name if setting.item else "全体",
        {"non_disclosure": "不開示該当フラグ", "no_self_info": "自己情報提供不可フラグ",
         "no_auto_response": "自動応答不可フラグ"}[setting.kind],
        setting.set_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
        _wareki(setting.set_at),
        setting.set_by_name,
        reason,
        "解除済" if cleared else "設定中",
        setting.cleared_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S") if cleared else "",
        _wareki(setting.cleared_at) if cleared else "",
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
    assert len(data) == 4


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
    cleared = [r for r in records(body(download(client, encoding=encoding)), encoding)
               if r["設定種別"] == "自動応答不可フラグ" and r["被保険者枝番"] == "A0000001"]
    assert len(cleared) == 1
    r = cleared[0]
    # 解除者 is the approving supervisor (sue), not the requester (alice): issue 10 point 4.
    assert r["状態"] == "解除済" and r["解除者"] == "スー 責任者" and r["解除理由"] == "カード停止の完了を確認"
    cleared_at = settings_world["cleared"].cleared_at
    assert r["解除日時"] == cleared_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")
    assert r["解除日（和暦）"] == _wareki(cleared_at) and r["解除日（和暦）"].startswith("令和")


def test_unencodable_name_is_replaced_and_reported_in_cp932(client, sam, settings_world):
    client.force_login(sam)
    response = download(client, encoding="cp932")
    rows = parse(body(response), "cp932")
    line = next(i for i, r in enumerate(rows, start=1) if r[1] == '="A0000002"')
    assert rows[line - 1][3] == "〓田 美和"
    # Reported in the file itself (closing note, after the last row) and in the closing audit entry.
    assert rows[-1][0] == "※注記" and f"{line} 行目" in rows[-1][1] and "1行" in rows[-1][1]
    entry = AuditEntry.objects.get(action="settings_csv.exported")
    assert entry.after["replaced_rows"] == 1 and entry.after["replaced_lines"] == [line]
    assert entry.after["encoding"] == "cp932" and entry.after["rows"] == 4 and entry.after["complete"] is True
    assert "〓に置き換えた行 1行" in entry.message


def test_unencodable_name_is_intact_in_utf8(client, sam, settings_world):
    client.force_login(sam)
    response = download(client, encoding="utf-8-sig")
    data = records(body(response), "utf-8-sig")
    assert [r["氏名"] for r in data if r["被保険者枝番"] == "A0000002"] == ["𠮷田 美和"]
    assert not any(r[0].startswith("※") for r in parse(body(download(client)), "utf-8-sig"))
    assert AuditEntry.objects.filter(action="settings_csv.exported").latest("id").after["replaced_rows"] == 0


def test_download_is_audited_before_the_first_byte_and_when_it_ends(client, sam, settings_world):
    """No count before the first byte: the start is on record before anything is sent; the rows at the end."""
    client.force_login(sam)
    response = download(client, encoding="cp932")
    started = AuditEntry.objects.get(action="settings_csv.export_started")
    assert started.actor == sam and started.after == {"kind": "", "state": "", "encoding": "cp932"}
    assert not AuditEntry.objects.filter(action="settings_csv.exported").exists()
    pieces = iter(response.streaming_content)
    header = next(pieces)
    assert header.decode("cp932").startswith("保険者番号,被保険者枝番,記号・番号,")
    rest = b"".join(pieces)
    assert rest
    ended = AuditEntry.objects.get(action="settings_csv.exported")
    assert ended.after["rows"] == 4 and ended.after["complete"] is True and ended.id > started.id


def test_download_cut_short_is_audited_as_incomplete(sam, settings_world):
    """The client goes away after the header: the server closes the response's iterator (our generator), and the
    closing entry says the file was incomplete."""
    from flagcsv.export import CsvExport, settings_for_export
    from flagcsv.views import _audited

    pieces = _audited(CsvExport(settings_for_export(sam), "utf-8-sig"), sam, {"encoding": "utf-8-sig"}, "UTF-8")
    assert next(pieces).startswith(b"\xef\xbb\xbf")
    pieces.close()
    ended = AuditEntry.objects.get(action="settings_csv.exported")
    assert ended.after["complete"] is False and ended.after["rows"] == 0 and "途中で終了しました" in ended.message


def test_pre_export_page_lists_the_affected_rows(client, sam, settings_world):
    client.force_login(sam)
    response = client.get(reverse("flagcsv:export"), {"encoding": "cp932", "kind": "", "state": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "出力する行数: <strong>4</strong>行" in page
    assert "A0000002" in page and "𠮷田 美和" in page and "〓田 美和" in page
    assert AuditEntry.objects.filter(action="settings_csv.checked").count() == 1
    # Nothing is downloaded, so no export entry.
    assert not AuditEntry.objects.filter(action__startswith="settings_csv.export").exists()


def test_filter_by_kind_and_state(client, sam, settings_world):
    client.force_login(sam)

    def picked(**filters):
        data = records(body(download(client, **filters)), "utf-8-sig")
        return [(r["被保険者枝番"], r["設定種別"], r["状態"]) for r in data]

    assert picked(kind="no_auto_response", state="active") == [("A0000002", "自動応答不可フラグ", "設定中")]
    assert picked(state="cleared") == [("A0000001", "自動応答不可フラグ", "解除済")]
    assert picked(kind="non_disclosure") == [("A0000001", "不開示該当フラグ", "設定中")]
    entry = AuditEntry.objects.filter(action="settings_csv.exported").order_by("id").first()
    assert entry.actor == sam and entry.institution == sam.institution
    assert entry.after["kind"] == "no_auto_response" and entry.after["state"] == "active" and entry.after["rows"] == 1


def test_formula_like_text_cannot_run_in_excel(client, sam, settings_world):
    client.force_login(sam)
    data = records(body(download(client)), "utf-8-sig")
    assert [r["理由"] for r in data if r["被保険者枝番"] == "A0000002"] == ["'=手動で確認すること"]


def test_bad_filter_is_refused(client, sam, settings_world):
    client.force_login(sam)
    assert download(client, encoding="latin-1").status_code == 400
    assert download(client, kind="not_a_kind").status_code == 400
    assert not AuditEntry.objects.filter(action__startswith="settings_csv.export").exists()


def test_empty_export_is_header_only(client, sam):
    client.force_login(sam)
    for encoding in ENCODINGS:
        assert parse(body(download(client, encoding=encoding)), encoding) == [list(COLUMNS)]


def test_many_rows_span_several_pieces_with_one_bom(client, sam, yoshida, plain_member, items, monkeypatch):
    """More rows than one fetched batch: row numbers in the report still match the file."""
    from tests.flagcsv.test_export_memory import bulk_settings

    monkeypatch.setattr("flagcsv.export.FETCH_SIZE", 500)
    bulk_settings(plain_member, 1200)
    bulk_settings(yoshida, 3)
    client.force_login(sam)
    response = download(client, encoding="cp932")
    rows = parse(body(response), "cp932")
    assert len(rows) == 1 + 1203 + 1
    lines = [i for i, r in enumerate(rows, start=1) if r[1] == '="A0000002"']
    assert len(lines) == 3 and all(rows[i - 1][3] == "〓田 美和" for i in lines)
    assert AuditEntry.objects.get(action="settings_csv.exported").after["replaced_lines"] == lines
    assert len(parse(body(download(client)), "utf-8-sig")) == 1 + 1203
