"""GET /api/v1/settings/export/: the settings CSV over the API (renewal ③), streamed, 責任者 only, in both encodings,
with the same rows, replacement report and audit entry as the console's download."""

import csv
import io

from audit.models import AuditEntry
from flags.policy import SettingKind
from flags.services import set_setting
from tests import factories as f
from tests.api.conftest import assert_error, client_for

URL = "/api/v1/settings/export/"


def _rows(response, encoding):
    assert response.streaming, "the export must stream"
    text = b"".join(response.streaming_content).decode(encoding)
    return list(csv.reader(io.StringIO(text)))


def test_supervisor_gets_the_insurers_rows_in_utf8_and_cp932(alice, sam, victim, bob, insurer_b):
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
    yoshida = f.MemberFactory(insurer=victim.insurer, person=f.PersonFactory(name="𠮷田 美和", kana="ヨシダ ミワ"))
    set_setting(actor=alice, member=yoshida, kind=SettingKind.NO_SELF_INFO, reason="申出")
    other = f.MemberFactory(insurer=insurer_b)
    set_setting(actor=bob, member=other, kind=SettingKind.NON_DISCLOSURE, reason="B の設定")

    utf8 = client_for(sam).get(URL, {"encoding": "utf-8-sig"})
    assert utf8.status_code == 200 and utf8["Content-Type"].startswith("text/csv")
    rows = _rows(utf8, "utf-8-sig")
    body = rows[1:]
    assert len(body) == 2
    names = {r[3] for r in body}
    assert names == {victim.name, "𠮷田 美和"}
    assert all(r[0] == f'="{victim.insurer.insurer_number}"' for r in body)
    assert f'="{other.branch_number}"' not in {r[1] for r in body}

    sjis = client_for(sam).get(URL, {"encoding": "cp932", "kind": "no_self_info"})
    rows = _rows(sjis, "cp932")
    data = [r for r in rows[1:] if r and r[0] == f'="{victim.insurer.insurer_number}"']
    assert [r[3] for r in data] == ["〓田 美和"]
    assert rows[-1][0] == "※注記"  # the replacement is reported at the end of the file
    entry = AuditEntry.objects.filter(action="settings_csv.exported").latest("id")
    assert entry.actor == sam and entry.after["rows"] == 1 and entry.after["replaced_rows"] == 1


def test_clerk_and_auditor_are_refused_with_the_json_error_body(alice, audrey):
    for user in (alice, audrey):
        body = assert_error(client_for(user).get(URL), 403, "permission_denied")
        assert "責任者" in body["message"]


def test_bad_encoding_is_400_with_field_errors(sam):
    body = assert_error(client_for(sam).get(URL, {"encoding": "latin-1"}), 400)
    assert "encoding" in body["fields"]
