"""CSV for Japanese Excel (issue 13 point 3): 保険者番号, 被保険者枝番 and 記号・番号 keep their leading zeros and read
as text. Checked on the bytes, in both encodings, on both paths; and the import takes back the files we write."""

import pytest
from django.db import connection
from django.urls import reverse

from flagcsv.columns import COLUMN_INDEX
from flagcsv.export import CsvExport, Encoding, Engine, settings_for_export
from flagcsv.importer import parse_rows
from flagcsv.rows import RowChecker, RowInvalid
from flags.models import ClearingRequest, ClearingRequestState
from flags.policy import SettingKind
from flags.services import set_setting
from tests import factories as f
from tests.flagcsv.helpers import make_file, parse

ENGINES = [Engine.PYTHON, Engine.SQL]


@pytest.fixture
def zero_member(insurer_a, sam):
    """枝番 00012345 and 記号・番号 0012-0034: both lose their zeros (or turn into a date) if Excel reads a number."""
    member = f.MemberFactory(insurer=insurer_a, branch_number="00012345", symbol_number="0012-0034",
                             person=f.PersonFactory(name="佐藤 花子", kana="サトウ ハナコ"))
    set_setting(actor=sam, member=member, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
    return member


def _bytes(user, encoding, engine) -> bytes:
    if engine == Engine.SQL and connection.vendor != "postgresql":
        pytest.skip("the SQL path is PostgreSQL's; the Python path is tested on both databases")
    return b"".join(CsvExport(settings_for_export(user), encoding, engine=engine).chunks())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("encoding", [Encoding.UTF8_BOM, Encoding.CP932])
def test_code_columns_are_excel_text_with_their_leading_zeros(sam, zero_member, encoding, engine):
    data = _bytes(sam, encoding, engine)
    number = sam.institution.insurer_number
    assert number.startswith("0")
    # In the file: "=""06…""" — Excel evaluates ="06…" to the text 06…, never the number 6….
    line = f'"=""{number}""","=""00012345""","=""0012-0034""",佐藤 花子,'.encode(
        "utf-8" if encoding == Encoding.UTF8_BOM else encoding)
    assert b"\r\n" + line in data
    assert f",{number.lstrip('0')},".encode() not in data and b",12345," not in data


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("encoding", [Encoding.UTF8_BOM, Encoding.CP932])
def test_import_takes_back_the_file_we_export(client, sam, zero_member, settings_world, encoding, engine):
    """The whole exported file parses (header, ="…" codes, 和暦, the ※ note); every row finds our member; a row
    turned to 解除済 files a clearing request."""
    data = _bytes(sam, encoding, engine)
    text = data.decode(encoding)
    rows = parse_rows(text)
    assert len(rows) == 5
    checker = RowChecker(actor=sam, rows=[(n, dict(zip(COLUMN_INDEX, cells, strict=True))) for n, cells in rows])
    for number, cells in rows:
        try:
            checker.plan(number, dict(zip(COLUMN_INDEX, cells, strict=True)))
        except RowInvalid as invalid:  # unchanged rows: already set, or history with nothing active to clear
            assert all("すでに設定中" in m or "がないため" in m for m in invalid.messages), invalid.messages
    mine = next(r for r in parse(data, encoding) if r[COLUMN_INDEX["被保険者枝番"]] == '="00012345"')
    mine[COLUMN_INDEX["状態"]], mine[COLUMN_INDEX["解除理由"]] = "解除済", "カード停止の完了を確認"
    client.force_login(sam)
    assert client.post(reverse("flagcsv:import"), {"file": make_file([mine], encoding=encoding)}).status_code == 302
    assert "誤りのある行" not in client.get(reverse("flagcsv:import_preview")).content.decode()
    sha = client.session["flagcsv_import"]["sha256"]
    assert client.post(reverse("flagcsv:import_apply"), {"sha256": sha}).status_code == 302
    request = ClearingRequest.objects.get(setting__member=zero_member)
    assert request.state == ClearingRequestState.PENDING


def test_import_reads_a_file_of_the_older_layout(client, sam, plain_member):
    old_header = ["保険者番号", "被保険者枝番", "氏名", "範囲", "設定種別", "設定日時", "設定者", "理由", "状態",
                  "解除日時", "解除者", "解除理由"]
    old_row = [sam.institution.insurer_number, plain_member.branch_number, plain_member.name, "全体",
               "不開示該当フラグ", "", "", "窓口で申出", "設定中", "", "", ""]
    client.force_login(sam)
    client.post(reverse("flagcsv:import"), {"file": make_file([old_row], header=old_header)})
    sha = client.session["flagcsv_import"]["sha256"]
    assert client.post(reverse("flagcsv:import_apply"), {"sha256": sha}).status_code == 302
    assert plain_member.settings.get().reason == "窓口で申出"
