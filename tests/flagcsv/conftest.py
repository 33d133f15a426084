import pytest

from flags.policy import SettingKind
from flags.services import decide_clearing, request_clearing, set_setting
from institutions.models import Role
from tests import factories as f


@pytest.fixture
def yoshida(insurer_a):
    """𠮷田 美和: 𠮷 (U+20BB7) has no place in cp932."""
    person = f.PersonFactory(name="𠮷田 美和", kana="ヨシダ ミワ")
    return f.MemberFactory(insurer=insurer_a, person=person, branch_number="A0000002")


@pytest.fixture
def plain_member(insurer_a):
    person = f.PersonFactory(name="鈴木 一郎", kana="スズキ イチロウ")
    return f.MemberFactory(insurer=insurer_a, person=person, branch_number="A0000003")


@pytest.fixture
def barbara(dept_b):
    """A supervisor of insurer B: the outsider who may export, but only B's settings."""
    return f.StaffFactory(username="barbara", display_name="バーバラ 責任者", department=dept_b, role=Role.SUPERVISOR)


@pytest.fixture
def outsider_member(insurer_b):
    person = f.PersonFactory(name="高橋 次郎", kana="タカハシ ジロウ")
    return f.MemberFactory(insurer=insurer_b, person=person, branch_number="B0000001")


@pytest.fixture
def settings_world(alice, sam, sue, bob, victim, yoshida, outsider_member, items):
    """Insurer A: the victim with 不開示該当 (whole), 自己情報提供不可 (one item) and a cleared 自動応答不可;
    𠮷田 with 自動応答不可 whose reason starts with "=". Insurer B: one setting that A must never see."""
    nd = set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出（ケース①）")
    nsi = set_setting(
        actor=alice, member=victim, kind=SettingKind.NO_SELF_INFO, item=items["medical_eligibility"], reason="申出"
    )
    nar = set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="自動応答を望まない")
    req = request_clearing(actor=alice, setting=nar, reason="カード停止の完了を確認")
    decide_clearing(actor=sue, clearing_request=req, approve=True)
    nar.refresh_from_db()
    yo = set_setting(actor=sam, member=yoshida, kind=SettingKind.NO_AUTO_RESPONSE, reason="=手動で確認すること")
    other = set_setting(actor=bob, member=outsider_member, kind=SettingKind.NON_DISCLOSURE, reason="B保険者の設定")
    return {"non_disclosure": nd, "no_self_info": nsi, "cleared": nar, "yoshida": yo, "other": other}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Staff are created with a password; the default hasher costs about a second each on CI machines.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
