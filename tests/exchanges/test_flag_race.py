"""A flag being set and an inquiry about the same member at the same moment, on two PostgreSQL connections.

The inquiry must not read the flags just before the setting commits and leave without 不開示コード: the
settings lock (flags.selectors.lock_person_settings) makes it wait for the setting's commit, then code it.
"""

import threading

import pytest
from django.db import connection

from exchanges.models import CodeSource
from flags import services as flag_services
from flags import setting_changes
from flags.policy import SettingKind
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from tests.exchanges.test_concurrency import _wait_until_a_backend_waits_for_a_lock


@pytest.fixture(autouse=True)
def _catalogue(db):
    ensure_catalogue(InfoItem, Procedure)


@pytest.mark.django_db(transaction=True)
def test_inquiry_waits_for_a_flag_being_set_and_leaves_with_the_code(
    requires_postgres, victim, city_ko, city_data, alice, sam, ask, monkeypatch
):
    setter_inside, release, results = threading.Event(), threading.Event(), {}
    real_record = setting_changes.record

    def record_holding_the_setter(**kwargs):
        # The setting row is written; its transaction stays open until the inquiry has started.
        if threading.current_thread().name == "setter":
            setter_inside.set()
            release.wait(timeout=30)
        return real_record(**kwargs)

    monkeypatch.setattr(setting_changes, "record", record_holding_the_setter)

    def set_flag():
        try:
            flag_services.set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
            results["setter"] = "set"
        finally:
            connection.close()

    def inquire():
        try:
            results["record"] = ask(city_ko, member=victim, actor=sam)
        finally:
            connection.close()

    setter = threading.Thread(target=set_flag, name="setter")
    sender = threading.Thread(target=inquire, name="sender")
    setter.start()
    assert setter_inside.wait(timeout=30)
    sender.start()
    waited = _wait_until_a_backend_waits_for_a_lock()
    release.set()
    setter.join(timeout=60)
    sender.join(timeout=60)
    assert waited, "the inquiry never waited for the setting's lock"
    assert results["setter"] == "set"
    record = results["record"]
    assert record.inquiry_code and record.inquiry_code_source == CodeSource.AUTO


@pytest.mark.django_db(transaction=True)
def test_inquiry_waits_for_a_link_being_added_and_leaves_with_the_code(
    requires_postgres, victim, abuser, city_ko, city_data, alice, sam, ask, monkeypatch
):
    """要注意照会対象: linking takes the same settings lock (insurer, person) as an inquiry about that person."""
    from flags import links as flag_links

    case = flag_services.open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_inquiry_about_abuser=True,
    )
    linker_inside, release, results = threading.Event(), threading.Event(), {}
    real_record = flag_links.record

    def record_holding_the_linker(**kwargs):
        if threading.current_thread().name == "linker":
            linker_inside.set()
            release.wait(timeout=30)
        return real_record(**kwargs)

    monkeypatch.setattr(flag_links, "record", record_holding_the_linker)

    def link():
        try:
            flag_links.link_person(actor=alice, case=case, person=abuser, reason="加害者")
            results["linker"] = "linked"
        finally:
            connection.close()

    def inquire():
        try:
            results["record"] = ask(city_ko, sim_id=abuser.sim_id, actor=sam)
        finally:
            connection.close()

    linker = threading.Thread(target=link, name="linker")
    sender = threading.Thread(target=inquire, name="sender")
    linker.start()
    assert linker_inside.wait(timeout=30)
    sender.start()
    waited = _wait_until_a_backend_waits_for_a_lock()
    release.set()
    linker.join(timeout=60)
    sender.join(timeout=60)
    assert waited, "the inquiry never waited for the link's lock"
    assert results["linker"] == "linked"
    record = results["record"]
    assert record.inquiry_code and record.inquiry_code_source == CodeSource.LINKED
