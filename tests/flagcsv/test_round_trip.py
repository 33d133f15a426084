"""The settings CSV goes out and back (issue 19 ②): our own export, unchanged, imports as 「変更なし」 for every row;
one changed row applies only that row, through the same services and four eyes; the import reads our Excel guards
(="A0000001") and Excel's own re-save (cp932, UTF-8 with BOM; the guards evaluated or kept; its date format).
Every test works on the bytes of the file."""

import csv
import io
import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from flagcsv.columns import COLUMN_INDEX, COLUMNS
from flags.models import ClearingRequest, ClearingRequestState, Setting
from flags.policy import SettingKind
from flags.services import decide_clearing, request_clearing, set_setting
from tests.flagcsv.helpers import body, download

ENCODINGS = ["utf-8-sig", "cp932"]
SAVES = ["as_exported", "excel_evaluated", "excel_kept_guards"]
_EXCEL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):\d{2}")


def excel_resave(data: bytes, encoding: str, how: str) -> bytes:
    """What comes back after the file is opened and saved. Japanese Excel's 「CSV（コンマ区切り）」 writes cp932
    without BOM, 「CSV UTF-8」 with one; a cell ="A0000001" is shown (and saved) as its result A0000001; a date and
    time becomes 2026/12/5 9:01 (seconds and leading zeros dropped); quotes only where needed; CRLF."""
    if how == "as_exported":
        return data
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    out = [rows[0]]
    for cells in rows[1:]:
        saved = []
        for cell in cells:
            if how == "excel_evaluated":
                cell = re.sub(r'^="(.*)"$', r"\1", cell)
            time = _EXCEL_TIME.fullmatch(cell)
            if time:
                y, mo, d, h, mi = (int(g) for g in time.groups())
                cell = f"{y}/{mo}/{d} {h}:{mi:02d}"
            saved.append(cell)
        out.append(saved)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(out)
    return buffer.getvalue().encode(encoding)


def _rows(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def _to_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def _import(client, data: bytes, *, apply: bool = True):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("settings.csv", data, content_type="text/csv")
    assert client.post(reverse("flagcsv:import"), {"file": upload}).status_code == 302
    preview = client.get(reverse("flagcsv:import_preview"))
    if not apply:
        return preview, None
    sha = client.session["flagcsv_import"]["sha256"]
    return preview, client.post(reverse("flagcsv:import_apply"), {"sha256": sha})


def _state():
    return (
        list(Setting.objects.order_by("id").values_list("id", "cleared_at")),
        ClearingRequest.objects.count(),
        AuditEntry.objects.filter(action__startswith="setting.").count(),
    )


@pytest.fixture
def history_world(settings_world, alice, victim):
    """Also a setting cleared and set again: the export has a 解除済 and a 設定中 row of the same member and kind."""
    again = set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="再び申出")
    return {**settings_world, "again": again}


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_our_unchanged_export_imports_as_unchanged_for_every_row(client, sam, history_world, yoshida, encoding, how):
    client.force_login(sam)
    data = excel_resave(body(download(client, encoding=encoding)), encoding, how)
    data_rows = [r for r in _rows(data, encoding)[1:] if not r[0].startswith("※")]
    assert len(data_rows) == 5  # the victim's 3 + the re-set one, 𠮷田's 1; nothing of insurer B
    if how == "excel_evaluated":
        assert b'="' not in data and b"/" in data
    before = _state()
    preview, applied = _import(client, data)
    page = preview.content.decode()
    assert "誤りのある行" not in page, page
    assert "変更なし: <strong>5</strong>件" in page and "変更のある行はありません" in page
    assert page.count("<td class=\"muted\">変更なし") == 5
    assert applied.status_code == 302
    assert _state() == before  # nothing set, nothing cleared, no clearing request
    entry = AuditEntry.objects.get(action="settings_csv.imported")
    assert entry.after["unchanged"] == 5 and entry.after["added"] == 0 and entry.after["clearing_requests"] == 0


@pytest.mark.parametrize("how", SAVES)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_changing_one_row_applies_only_that_row_through_four_eyes(client, sam, sue, settings_world, yoshida,
                                                                     plain_member, encoding, how):
    """The 不開示該当 row turned to 解除済 files a clearing request (another 責任者 decides); a row added for 鈴木 sets
    his flag; every other row is 変更なし."""
    client.force_login(sam)
    rows = _rows(excel_resave(body(download(client, encoding=encoding)), encoding, how), encoding)
    target = next(r for r in rows[1:] if r[COLUMN_INDEX["設定種別"]] == "不開示該当フラグ")
    target[COLUMN_INDEX["状態"]] = "解除済"
    target[COLUMN_INDEX["解除理由"]] = "カード停止の完了を確認した"
    added = [""] * len(COLUMNS)
    added[COLUMN_INDEX["保険者番号"]] = sam.institution.insurer_number
    added[COLUMN_INDEX["被保険者枝番"]] = plain_member.branch_number
    added[COLUMN_INDEX["範囲"]], added[COLUMN_INDEX["設定種別"]] = "全体", "自己情報提供不可フラグ"
    added[COLUMN_INDEX["状態"]], added[COLUMN_INDEX["理由"]] = "設定中", "本人の申出"
    rows.insert(len(rows) - 1 if rows[-1][0].startswith("※") else len(rows), added)
    settings_before = set(Setting.objects.values_list("id", "cleared_at"))

    preview, applied = _import(client, _to_bytes(rows, encoding))
    page = preview.content.decode()
    assert "誤りのある行" not in page, page
    assert ("設定の追加: <strong>1</strong>件 ／ 解除依頼の登録: <strong>1</strong>件 ／ 変更なし: <strong>3</strong>件"
            in page)
    assert applied.status_code == 302

    nd = settings_world["non_disclosure"]
    nd.refresh_from_db()
    assert nd.is_active  # an import never clears
    request = ClearingRequest.objects.get(state=ClearingRequestState.PENDING)
    assert request.setting == nd and request.state == ClearingRequestState.PENDING and request.requested_by == sam
    new = Setting.objects.get(member=plain_member)
    assert new.kind == SettingKind.NO_SELF_INFO and new.set_by == sam
    assert set(Setting.objects.exclude(pk=new.pk).values_list("id", "cleared_at")) == settings_before
    decide_clearing(actor=sue, clearing_request=request, approve=True)  # the second pair of eyes
    nd.refresh_from_db()
    assert not nd.is_active

    # The same file again: the clearing waits for approval no more (done), the added row is set: all 変更なし.
    preview, _ = _import(client, _to_bytes(rows, encoding), apply=False)
    assert "誤りのある行" not in preview.content.decode()
    assert "変更なし: <strong>5</strong>件" in preview.content.decode()


def test_a_clearing_already_waiting_is_unchanged_not_an_error(client, sam, settings_world):
    nd = settings_world["non_disclosure"]
    client.force_login(sam)
    rows = _rows(body(download(client)), "utf-8-sig")
    target = next(r for r in rows[1:] if r[COLUMN_INDEX["設定種別"]] == "不開示該当フラグ")
    target[COLUMN_INDEX["状態"]], target[COLUMN_INDEX["解除理由"]] = "解除済", "カード停止の完了を確認した"
    request_clearing(actor=sam, setting=nd, reason="画面から依頼済み")
    page = _import(client, _to_bytes(rows, "utf-8-sig"), apply=False)[0].content.decode()
    assert "誤りのある行" not in page and "変更なし（承認待ちの解除依頼があります）" in page
    assert ClearingRequest.objects.filter(state=ClearingRequestState.PENDING).count() == 1


def test_an_active_row_of_a_setting_cleared_since_the_export_is_refused_not_set_again(client, sam, sue,
                                                                                          settings_world):
    client.force_login(sam)
    data = body(download(client))
    nd = settings_world["non_disclosure"]
    decide_clearing(actor=sue, clearing_request=request_clearing(actor=sam, setting=nd, reason="確認済み"),
                    approve=True)
    page = _import(client, data, apply=False)[0].content.decode()
    assert "不開示該当フラグ（全体）はファイルの出力後に解除されています" in page
    assert Setting.objects.filter(member=nd.member, kind=SettingKind.NON_DISCLOSURE).count() == 1


def test_a_row_in_error_names_the_branch_number_not_the_excel_guard(client, sam, settings_world, victim):
    client.force_login(sam)
    rows = _rows(body(download(client)), "utf-8-sig")
    target = next(r for r in rows[1:] if r[COLUMN_INDEX["設定種別"]] == "不開示該当フラグ")
    assert target[COLUMN_INDEX["被保険者枝番"]] == f'="{victim.branch_number}"'
    target[COLUMN_INDEX["氏名"]] = "別人 です"
    page = _import(client, _to_bytes(rows, "utf-8-sig"), apply=False)[0].content.decode()
    assert "誤りのある行（1行）" in page and f"<td>{victim.branch_number}</td>" in page
    assert "=&quot;" not in page
