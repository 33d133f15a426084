"""Shared people and places for the suite: alice (clerk), sam (supervisor), audrey (auditor) of insurer A;
bob, an outsider who is a clerk of insurer B. Municipalities: 甲市 (where the abuser lives), 乙市 (where the victim
fled). The catalogue of 特定個人情報 and 事務 comes from the data migration."""

import os
import shutil

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from institutions.models import InstitutionKind, Role
from members.models import InfoItem, Procedure
from tests import factories as f

CHROMIUM = "/usr/bin/chromium"


def pytest_sessionfinish(session, exitstatus):
    """Under .ci/run nothing may be skipped: a skip there means a missing database feature or browser."""
    if os.environ.get("NAKAMA_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"NAKAMA_FORBID_SKIPS: {skipped} test(s) skipped; CI requires none.", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters live in the (local memory) cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def totp_code(user) -> str:
    """The current TOTP code of `user`'s device (given one if missing): what a browser test types."""
    from signin.services import confirmed_device, current_code, enrol_totp

    device = confirmed_device(user) or enrol_totp(staff=user, reason="テスト")
    return current_code(device)[0]


def mark_second_factor_verified(client: Client, user) -> None:
    """What a passed TOTP step leaves in the session (django_otp.login): the device's persistent id."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from signin.services import confirmed_device, enrol_totp

    device = confirmed_device(user) or enrol_totp(staff=user, reason="テスト")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """client.force_login(user) stands for a completed sign-in; for 責任者, 監査者 and the operator that now
    includes the TOTP step, so the session is marked verified as django-otp does. The product rule is untouched:
    tests of the rule sign in through the login page (tests/test_signin.py), where nothing is marked."""
    from signin.policy import needs_second_factor

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if needs_second_factor(user):
            mark_second_factor_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


SIM_KEY = "test-simulation-key-0123456789abcdefghij"


@pytest.fixture
def sim_on(settings) -> dict:
    """The simulated world's API switched on with its key; returns the header every /api/sim/ call sends
    (tests/api, tests/portal)."""
    settings.NAKAMA_SIM_API = True
    settings.NAKAMA_SIM_KEY = SIM_KEY
    return {"HTTP_X_NAKAMA_SIM_KEY": SIM_KEY}


@pytest.fixture
def flushed_catalogue(transactional_db):
    """A transactional test may start after a flush (live_server, another transactional test): put the catalogue
    back before the people's fixtures (victim's replicas) need it. List it before them."""
    from members.catalogue import ensure_catalogue
    from members.models import InfoItem, Procedure

    ensure_catalogue(InfoItem, Procedure)


@pytest.fixture
def requires_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...; .ci/run does)")


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        pytest.skip("needs Debian chromium (apt-get install chromium fonts-noto-cjk; .ci/run does)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("needs playwright for Python (pip install -e .[dev])")
    return CHROMIUM


@pytest.fixture
def browser(chromium_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        try:
            yield b
        finally:
            b.close()
            # Under Playwright's sync API the test body may have opened its own database connection; PostgreSQL
            # refuses to drop the test database while it is open.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def items(db):
    return {item.code: item for item in InfoItem.objects.all()}


@pytest.fixture
def procedures(db):
    return {p.code: p for p in Procedure.objects.all()}


@pytest.fixture
def insurer_a(db):
    return f.InsurerFactory(name="Ａ健康保険組合")


@pytest.fixture
def insurer_b(db):
    return f.InsurerFactory(name="Ｂ県後期高齢者医療広域連合", kind=InstitutionKind.LATE_ELDERLY_UNION)


@pytest.fixture
def dept_a(insurer_a):
    return f.DepartmentFactory(institution=insurer_a, name="業務部")


@pytest.fixture
def dept_b(insurer_b):
    return f.DepartmentFactory(institution=insurer_b, name="資格保険料課")


@pytest.fixture
def alice(dept_a):
    return f.StaffFactory(username="alice", display_name="アリス 担当", department=dept_a, role=Role.CLERK)


@pytest.fixture
def sam(dept_a):
    return f.StaffFactory(username="sam", display_name="サム 責任者", department=dept_a, role=Role.SUPERVISOR)


@pytest.fixture
def sue(dept_a):
    return f.StaffFactory(username="sue", display_name="スー 責任者", department=dept_a, role=Role.SUPERVISOR)


@pytest.fixture
def audrey(dept_a):
    return f.StaffFactory(username="audrey", display_name="オードリー 監査", department=dept_a, role=Role.AUDITOR)


@pytest.fixture
def bob(dept_b):
    return f.StaffFactory(username="bob", display_name="ボブ 担当", department=dept_b, role=Role.CLERK)


@pytest.fixture
def city_ko(db):
    city = f.MunicipalityFactory(name="甲市")
    f.DepartmentFactory(institution=city, name="税務課")
    return city


@pytest.fixture
def city_otsu(db):
    city = f.MunicipalityFactory(name="乙市")
    f.DepartmentFactory(institution=city, name="福祉課")
    return city


@pytest.fixture
def victim(insurer_a, items):
    """佐藤 花子: fled from 甲市 and joined insurer A; her 副本 names A."""
    person = f.PersonFactory(name="佐藤 花子", kana="サトウ ハナコ")
    member = f.MemberFactory(insurer=insurer_a, person=person, branch_number="A0000001")
    f.ReplicaFactory(member=member)
    return member


@pytest.fixture
def abuser(db):
    """佐藤 太郎: not a member of insurer A."""
    return f.PersonFactory(name="佐藤 太郎", kana="サトウ タロウ")


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    """The in-process catalogue (members/catalogue_cache.py) is cleared by saves; a rolled-back test fires none."""
    from members import catalogue_cache as catalogue

    catalogue.clear()
    yield
    catalogue.clear()
