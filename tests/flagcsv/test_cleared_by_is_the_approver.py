"""Issue 10 point 4: the settings CSV's 解除者 column names the supervisor who APPROVED the clearing (four eyes), not
the staff member who asked for it."""

from flagcsv.columns import COLUMN_INDEX, COLUMNS
from flags.policy import SettingKind
from flags.services import decide_clearing, request_clearing, set_setting
from tests.flagcsv.helpers import body, download, parse


def test_settings_csv_names_the_approving_supervisor_as_the_clearer(client, alice, sam, sue, victim):
    setting = set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="本人の希望")
    clearing = request_clearing(actor=alice, setting=setting, reason="本人から解除の申出")
    decide_clearing(actor=sue, clearing_request=clearing, approve=True)
    client.force_login(sam)
    rows = parse(body(download(client, state="cleared")), "utf-8-sig")
    assert rows[0] == list(COLUMNS)
    [row] = [r for r in rows[1:] if not r[0].startswith("※")]
    assert row[COLUMN_INDEX["解除者"]] == "スー 責任者", "解除者 is the approver, not the requester アリス"
