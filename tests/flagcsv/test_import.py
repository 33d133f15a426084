"""Import of the settings file by a 責任者: dry run, then all or nothing, through flags.services."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from flagcsv.columns import COLUMN_INDEX
from flags.models import ClearingRequest, ClearingRequestState, Setting, SettingSource
from flags.policy import SettingKind
from flags.services import set_setting
from tests.flagcsv.helpers import body, download, make_file, parse, row

MED = "医療保険資格関係情報"


def _upload(client, upload):
    return client.post(reverse("flagcsv:import"), {"file": upload})


def _preview(client):
    return client.get(reverse("flagcsv:import_preview"))


def _apply(client, sha256=None):
    sha256 = sha256 or client.session["flagcsv_import"]["sha256"]
    return client.post(reverse("flagcsv:import_apply"), {"sha256": sha256})


def _state():
    """Everything an import could touch."""
    return (
        list(Setting.objects.order_by("id").values_list("id", "cleared_at")),
        ClearingRequest.objects.count(),
        AuditEntry.objects.filter(action__startswith="setting.").count(),
    )


def test_happy_path_adds_settings_as_the_importer_at_import_time(client, sam, plain_member, victim, items):
    client.force_login(sam)
    assert _upload(client, make_file([
        row(plain_member, reason="本人の申出（窓口）"),
        row(plain_member, kind="自己情報提供不可フラグ", scope=MED, reason="申出"),
    ])).status_code == 302
    before = _state()
    page = _preview(client).content.decode()
    assert _state() == before  # the dry run carried the rows out and rolled them back
    assert "設定の追加: <strong>2</strong>件" in page and "この内容で取り込む" in page
    started = timezone.now()
    response = _apply(client)
    assert response.status_code == 302
    added = list(Setting.objects.filter(member=plain_member).order_by("id"))
    assert [(s.kind, s.item_id, s.reason) for s in added] == [
        (SettingKind.NON_DISCLOSURE, None, "本人の申出（窓口）"),
        (SettingKind.NO_SELF_INFO, items["medical_eligibility"].pk, "申出"),
    ]
    for s in added:
        # The file's 設定者 and 設定日時 are ignored.
        assert s.set_by == sam and s.set_by_name == "サム 責任者" and s.source == SettingSource.IMPORT
        assert s.set_at >= started and s.is_active
    assert AuditEntry.objects.filter(action="setting.set", actor=sam).count() == 2
    entry = AuditEntry.objects.get(action="settings_csv.imported")
    assert entry.actor == sam and entry.after["added"] == 2 and entry.after["clearing_requests"] == 0
    assert "flagcsv_import" not in client.session


def test_dry_run_writes_nothing_even_when_previewed_twice(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    before = _state()
    audit_before = AuditEntry.objects.count()
    _preview(client)
    _preview(client)
    assert _state() == before and AuditEntry.objects.count() == audit_before
    assert not Setting.objects.filter(member=plain_member).exists()


def test_clearing_row_files_a_request_and_never_clears(client, sam, settings_world, victim):
    setting = settings_world["non_disclosure"]
    client.force_login(sam)
    _upload(client, make_file([
        row(victim, state="解除済", reason="本人の申出（ケース①）", clear_reason="カード停止の完了を確認した"),
    ]))
    assert "解除依頼の登録: <strong>1</strong>件" in _preview(client).content.decode()
    assert _apply(client).status_code == 302
    setting.refresh_from_db()
    assert setting.is_active and setting.cleared_at is None  # still in force until another supervisor approves
    request = ClearingRequest.objects.get(setting=setting)
    assert request.state == ClearingRequestState.PENDING and request.requested_by == sam
    assert request.reason == "カード停止の完了を確認した"
    assert AuditEntry.objects.filter(action="setting.clear_requested", actor=sam).count() == 1
    assert not AuditEntry.objects.filter(action="setting.cleared", target_id=str(setting.pk)).exists()
    assert AuditEntry.objects.get(action="settings_csv.imported").after["clearing_requests"] == 1


def test_round_trip_of_a_cp932_export_with_a_replaced_name(client, sam, settings_world, yoshida):
    """Download in cp932 (𠮷 becomes 〓, a note row at the end), mark 𠮷田's setting 解除済, import it back."""
    client.force_login(sam)
    rows = parse(body(download(client, encoding="cp932")), "cp932")
    mine = next(r for r in rows if r[COLUMN_INDEX["被保険者枝番"]] == '="A0000002"')
    assert mine[COLUMN_INDEX["氏名"]] == "〓田 美和"
    mine[COLUMN_INDEX["状態"]], mine[COLUMN_INDEX["解除理由"]] = "解除済", "本人から自動応答再開の申出"
    note = rows[-1]
    assert note[0].startswith("※")
    _upload(client, make_file([mine, note], encoding="cp932"))
    page = _preview(client).content.decode()
    assert "誤りのある行" not in page, page
    assert _apply(client).status_code == 302
    request = ClearingRequest.objects.get(setting=settings_world["yoshida"])
    assert request.reason == "本人から自動応答再開の申出" and request.state == ClearingRequestState.PENDING


def test_excel_dropped_leading_zero_and_formula_guard_are_understood(client, sam, plain_member):
    client.force_login(sam)
    number = sam.institution.insurer_number
    assert number.startswith("0")
    _upload(client, make_file([row(plain_member, number=number.lstrip("0"), reason="'=本人の申出")]))
    assert _apply(client).status_code == 302
    assert Setting.objects.get(member=plain_member).reason == "=本人の申出"


BAD_ROWS = {
    "unknown_branch": (lambda m, o: row(m) [:1] + ["Z9999999"] + row(m)[2:],
                       "被保険者枝番「Z9999999」の被保険者は登録されていません"),
    "other_insurers_number": (lambda m, o: row(m, number=o.insurer.insurer_number),
                              "は自保険者の保険者番号"),
    "unknown_kind": (lambda m, o: row(m, kind="不開示フラグ"), "設定種別「不開示フラグ」が正しくありません"),
    "unknown_scope": (lambda m, o: row(m, scope="存在しない情報"), "範囲「存在しない情報」が正しくありません"),
    "missing_reason": (lambda m, o: row(m, kind="自動応答不可フラグ", reason=" "), "理由が空欄です"),
    "unknown_state": (lambda m, o: row(m, state="停止"), "状態「停止」が正しくありません"),
    "clearing_without_reason": (lambda m, o: row(m, state="解除済", clear_reason=""), "解除理由が空欄です"),
    "clearing_nothing_active": (lambda m, o: row(m, kind="自動応答不可フラグ", state="解除済", clear_reason="申出"),
                                "設定中の自動応答不可フラグ（全体）がないため"),
    "name_mismatch": (lambda m, o: row(m, kind="自動応答不可フラグ", name="鈴木 二郎"), "登録氏名と一致しません"),
    "column_count": (lambda m, o: row(m)[:10], "列の数が正しくありません"),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_malformed_row_is_refused_with_its_row_number_and_nothing_applied(
    client, sam, plain_member, outsider_member, case
):
    make_row, message = BAD_ROWS[case]
    client.force_login(sam)
    good = row(plain_member, kind="自己情報提供不可フラグ", reason="申出")  # line 2, valid on its own
    _upload(client, make_file([good, make_row(plain_member, outsider_member)]))
    before = _state()
    page = _preview(client).content.decode()
    assert "3行目" in page and message in page, page
    assert "この内容で取り込む" not in page
    response = _apply(client)
    assert response.status_code in (302, 400)
    assert _state() == before and not Setting.objects.filter(member=plain_member).exists()
    assert not AuditEntry.objects.filter(action="settings_csv.imported").exists()


def test_duplicate_rows_are_refused_naming_both(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member), row(plain_member, kind="自動応答不可フラグ"), row(plain_member)]))
    page = _preview(client).content.decode()
    assert "2行目" in page and "4行目と被保険者枝番・設定種別・範囲が同じです（重複行）" in page
    assert "2行目と被保険者枝番・設定種別・範囲が同じです（重複行）" in page
    assert _apply(client).status_code == 400
    assert not Setting.objects.filter(member=plain_member).exists()
    refused = AuditEntry.objects.get(action="settings_csv.import_refused")
    assert refused.actor == sam and refused.after["error_rows"] == [2, 4]


def test_setting_already_active_is_unchanged_and_the_other_row_applies(client, sam, settings_world, victim,
                                                                        plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member), row(victim)]))
    page = _preview(client).content.decode()
    assert "誤りのある行" not in page and "変更なし: <strong>1</strong>件" in page
    assert _apply(client).status_code == 302
    assert Setting.objects.filter(member=plain_member).count() == 1
    assert Setting.objects.filter(member=victim, kind=SettingKind.NON_DISCLOSURE).count() == 1


def test_a_flag_set_in_the_console_between_preview_and_apply_is_unchanged_not_set_twice(client, sam, alice,
                                                                                          plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    assert "この内容で取り込む" in _preview(client).content.decode()
    set_setting(actor=alice, member=plain_member, kind=SettingKind.NON_DISCLOSURE, reason="窓口で設定")
    assert _apply(client).status_code == 302
    assert Setting.objects.get(member=plain_member).reason == "窓口で設定"
    assert AuditEntry.objects.get(action="settings_csv.imported").after["unchanged"] == 1


def test_wrong_header_is_refused(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)], header=["保険者番号", "枝番", "氏名"]))
    page = _preview(client).content.decode()
    assert "1行目（見出し）が正しくありません" in page and "この内容で取り込む" not in page
    assert _apply(client).status_code == 400
    assert not Setting.objects.filter(member=plain_member).exists()
    assert AuditEntry.objects.get(action="settings_csv.import_refused").after["file_errors"]


@pytest.mark.parametrize("data", [b"\x81\x20\x81\x20,abc\r\n", "保険者番号".encode("utf-16")], ids=["cp932", "utf16"])
def test_bad_encoding_is_refused_in_japanese(client, sam, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(sam)
    response = _upload(client, SimpleUploadedFile("x.csv", data))
    assert response.status_code == 400
    page = response.content.decode()
    assert "このファイルは取り込めません" in page
    assert "文字コードを判別できません" in page or "CSV（UTF-8 または Shift_JIS）ではありません" in page
    assert "flagcsv_import" not in client.session


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_accepted_encodings(client, sam, plain_member, encoding):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member, reason="窓口で申出")], encoding=encoding))
    assert _apply(client).status_code == 302
    assert Setting.objects.get(member=plain_member).reason == "窓口で申出"


def test_apply_checks_again_and_refuses_when_the_database_changed(client, sam, alice, plain_member, victim):
    """Previewed fine; the member's registered name then changes: nothing of the file is applied."""
    client.force_login(sam)
    _upload(client, make_file([row(victim), row(plain_member)]))
    assert "この内容で取り込む" in _preview(client).content.decode()
    plain_member.name = "鈴木 二郎"
    plain_member.save(update_fields=["name"])
    response = _apply(client)
    assert response.status_code == 400
    page = response.content.decode()
    assert "取込を中止しました。何も登録していません。" in page and "3行目" in page
    assert not Setting.objects.filter(member=victim).exists()


def test_apply_refuses_a_file_other_than_the_one_previewed(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    response = _apply(client, sha256="0" * 64)
    assert response.status_code == 302 and response["Location"] == reverse("flagcsv:import_preview")
    assert not Setting.objects.filter(member=plain_member).exists()


def test_staged_file_is_bound_to_the_insurer_and_cancel_discards_it(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    assert client.post(reverse("flagcsv:import_cancel")).status_code == 302
    assert "flagcsv_import" not in client.session
    assert _preview(client).status_code == 302


def test_tampered_session_text_is_not_applied(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    session = client.session
    staged = session["flagcsv_import"]
    staged["text"] = staged["text"].replace("本人の申出", "書き換え")
    session["flagcsv_import"] = staged
    session.save()
    assert _apply(client).status_code == 302
    assert not Setting.objects.filter(member=plain_member).exists()


def test_file_dates_are_ignored_even_when_in_the_future(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member, set_at="2099-12-31 23:59:59", set_by="別人")]))
    _apply(client)
    s = Setting.objects.get(member=plain_member)
    assert s.set_at < timezone.now() + datetime.timedelta(seconds=1) and s.set_by_name == "サム 責任者"


def test_staged_file_expires_after_an_hour(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    session = client.session
    staged = session["flagcsv_import"]
    staged["uploaded_at"] = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    session["flagcsv_import"] = staged
    session.save()
    assert _apply(client).status_code == 302
    assert not Setting.objects.filter(member=plain_member).exists()
    assert "flagcsv_import" not in client.session


def test_second_apply_of_the_same_file_does_nothing(client, sam, plain_member):
    client.force_login(sam)
    _upload(client, make_file([row(plain_member)]))
    sha256 = client.session["flagcsv_import"]["sha256"]
    assert _apply(client, sha256).status_code == 302
    assert _apply(client, sha256).status_code == 302  # nothing staged any more
    assert Setting.objects.filter(member=plain_member).count() == 1
    assert AuditEntry.objects.filter(action="settings_csv.imported").count() == 1
