"""The demo world holds exchanges of every kind, built through the services (deterministic)."""

import pytest

from demo.world import build_world
from exchanges.models import ExchangeRecord, ExchangeState
from exchanges.selectors import append_requests_for, manual_queue_for, portal_history


@pytest.fixture
def world(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def _codes(record):
    return (record.state, record.inquiry_code_source, record.provision_code_source, record.is_appended)


def test_demo_has_every_kind_of_exchange(world):
    ex = world.exchanges
    P, M, D = ExchangeState.PROVIDED, ExchangeState.MANUAL, ExchangeState.DECLINED
    assert {key: _codes(r) for key, r in ex.items()} == {
        "visible_received": (P, "", "", False),
        "visible_sent": (P, "", "", False),
        "b_visible_sent": (P, "", "", False),
        "case_1_1": (P, "", "auto", False),
        "case_1_2": (P, "auto", "", False),
        "both_coded": (P, "auto", "auto", False),
        "case_2_danger": (P, "", "", False),
        "appended": (P, "", "", True),
        "case_4_linked": (P, "linked", "", False),
        "case_3_corrected": (P, "", "", False),
        "case_3_declined": (D, "", "", False),
        "case_3_waiting": (M, "", "", False),
        "walkin_danger": (P, "", "", False),  # demo.walkin: the husband of the walk-in, asked about without a code
    }
    assert ex["case_3_corrected"].provided_content["資格喪失日"] == "2026-07-01" and ex["case_3_corrected"].content_corrected
    assert ExchangeRecord.objects.count() == len(ex) + len(world.followups)  # + 差戻し (exchanges.demo_followups)


def test_demo_portal_views(world):
    victim, abuser, a3 = world.members["victim"].person, world.persons["abuser"], world.members["a3"].person
    assert portal_history(person=victim) == []  # everything about her is coded
    [danger] = portal_history(person=abuser)  # case ②: the one inquiry sent without a code
    assert danger == world.exchanges["case_2_danger"]
    assert danger.inquirer_department_display == "Ａ健康保険組合 業務部"
    assert portal_history(person=a3) == [world.exchanges["case_3_corrected"]]
    # demo.walkin: nothing protects 伊藤 さくら yet; her husband's own history names our insurer.
    [walkin] = portal_history(person=world.persons["walkin_abuser"])
    assert walkin.inquirer_department_display == "Ａ健康保険組合 業務部"


def test_demo_queue_and_append_requests(world):
    a_clerk, b_clerk = world.staff["a_clerk"], world.staff["b_clerk"]
    assert list(manual_queue_for(a_clerk)) == [world.exchanges["case_3_waiting"]]
    assert list(manual_queue_for(b_clerk)) == []
    # One processed by the simulated NWS, one still pending (the record still shown).
    appends = {r.record: r.status for r in append_requests_for(a_clerk)}
    assert appends == {world.exchanges["appended"]: "processed", world.exchanges["case_2_danger"]: "pending",
                       world.followups["rejected"]: "rejected"}
    assert list(append_requests_for(b_clerk)) == []
