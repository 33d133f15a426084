"""An offer and B's 加入 of her at the same moment, on two PostgreSQL connections (issue 17 point 1: no window).

Each side takes the settings lock (B, her) before it looks for the other: the offer after writing the handover, the
加入's hook after writing the member. Whichever commits second sees the first, so she is protected at B whatever the
interleaving — never both reading before the other committed.
"""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from flags import handover as handover_module
from flags.models import Setting
from flags.services import open_protection_case
from members.catalogue import ensure_catalogue
from members.models import InfoItem, Procedure
from members.services import enrol_member, record_loss
from tests.exchanges.test_concurrency import _wait_until_a_backend_waits_for_a_lock


@pytest.fixture(autouse=True)
def _catalogue(db):
    ensure_catalogue(InfoItem, Procedure)  # a transactional test flushes it


@pytest.fixture
def her_case(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser])
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    return case


def _run(offer, enrol, pause_at, monkeypatch, *, expect_wait: bool):
    inside, release, results = threading.Event(), threading.Event(), {}
    real = getattr(handover_module, pause_at)

    def paused(**kwargs):
        if threading.current_thread().name == "offer":
            inside.set()
            release.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(handover_module, pause_at, paused)

    def in_thread(name, work):
        try:
            results[name] = work()
        finally:
            connection.close()

    offering = threading.Thread(target=in_thread, args=("offer", offer), name="offer")
    enrolling = threading.Thread(target=in_thread, args=("enrol", enrol), name="enrol")
    offering.start()
    assert inside.wait(timeout=30)
    enrolling.start()
    waited = _wait_until_a_backend_waits_for_a_lock() if expect_wait else enrolling.join(timeout=60) is None
    release.set()
    offering.join(timeout=60)
    enrolling.join(timeout=60)
    assert waited
    return results


@pytest.mark.django_db(transaction=True)
def test_the_enrolment_waits_for_an_offer_that_found_no_member_and_then_protects_her(
    requires_postgres, her_case, alice, bob, victim, insurer_b, monkeypatch
):
    """The offer holds the lock, having found she is not B's member; B's 加入 of her waits, then finds the offer."""
    results = _run(
        lambda: handover_module.offer_handover(actor=alice, case=her_case, to_institution=insurer_b,
                                               consent_on=timezone.localdate()),
        lambda: enrol_member(actor=bob, person=victim.person, branch_number="B0000009", name=victim.name,
                             kana=victim.kana, birth_date=victim.birth_date, acquired_on=timezone.localdate()),
        "protect_offered_companions", monkeypatch, expect_wait=True,
    )
    at_b = results["enrol"]
    assert set(Setting.objects.active().filter(member=at_b).values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
    results["offer"].refresh_from_db()
    assert results["offer"].new_case.member == at_b


@pytest.mark.django_db(transaction=True)
def test_an_offer_committed_after_the_enrolment_protects_her(
    requires_postgres, her_case, alice, bob, victim, insurer_b, monkeypatch
):
    """The offer has written the handover but not yet taken the lock; B's 加入 commits without seeing it (it is not
    committed); the offer then takes the lock, sees her as B's member and protects her."""
    results = _run(
        lambda: handover_module.offer_handover(actor=alice, case=her_case, to_institution=insurer_b,
                                               consent_on=timezone.localdate()),
        lambda: enrol_member(actor=bob, person=victim.person, branch_number="B0000009", name=victim.name,
                             kana=victim.kana, birth_date=victim.birth_date, acquired_on=timezone.localdate()),
        "lock_person_settings", monkeypatch, expect_wait=False,
    )
    at_b = results["enrol"]
    assert set(Setting.objects.active().filter(member=at_b).values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
