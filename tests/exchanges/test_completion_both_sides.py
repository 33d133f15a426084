"""別紙1 ※2 at completion, both sides: whenever an exchange completes, the 不開示該当 settings of the inquirer and
of the provider on the subject are read again under the settings locks; either in force hides the record. Links
(要注意照会対象) made while an inquiry waited count the same way."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from exchanges.models import ExchangeState
from exchanges.selectors import portal_history
from exchanges.services import approve_manual_response, receive_inquiry
from flags import selectors as flag_selectors
from flags.links import link_person
from flags.policy import SettingKind
from flags.services import open_protection_case, set_peer_setting, set_setting
from tests import factories as f


@pytest.fixture
def at_b(insurer_b, bob):
    """Enrol a person at insurer B too, with 自動応答不可 (B's own setting): inquiries to B about them wait."""

    def _enrol(person):
        member = f.MemberFactory(insurer=insurer_b, person=person)
        f.ReplicaFactory(member=member)
        set_setting(actor=bob, member=member, kind=SettingKind.NO_AUTO_RESPONSE, reason="自動応答を望まない")
        return member

    return _enrol


def test_bessi1_2_control_b_approves_and_her_history_names_insurer_a(victim, insurer_b, bob, at_b, ask):
    at_b(victim.person)
    waiting = ask(insurer_b, member=victim, item="medical_eligibility", procedure="eligibility_check")
    assert waiting.state == ExchangeState.MANUAL
    approve_manual_response(actor=bob, record=waiting)
    [shown] = portal_history(person=victim.person)
    assert shown.inquirer_department_display == "Ａ健康保険組合 業務部"


def test_bessi1_2_a_flags_her_while_its_inquiry_waits_at_b_and_b_approves_without_code(
    victim, insurer_b, bob, at_b, ask, flag
):
    at_b(victim.person)
    waiting = ask(insurer_b, member=victim, item="medical_eligibility", procedure="eligibility_check")
    assert (waiting.state, waiting.inquiry_code) == (ExchangeState.MANUAL, False)
    flag(victim)  # A's 不開示該当, set after the inquiry was sent
    done = approve_manual_response(actor=bob, record=waiting, nondisclosure_code=False)
    assert (done.inquiry_code, done.inquiry_code_source, done.provision_code) == (True, "completion", False)
    assert portal_history(person=victim.person) == []
    # A's trail says why; B's trail says only that the inquiry carries a code.
    ours = AuditEntry.objects.get(action="inquiry.coded_at_completion")
    assert ours.institution == victim.insurer and ours.after["inquiry_code_source"] == "completion"
    theirs = AuditEntry.objects.get(action="manual_response.approved")
    assert theirs.institution == insurer_b and theirs.after["inquiry_code"] is True
    assert "inquiry_code_source" not in theirs.after


def test_linked_while_waiting_codes_the_inquiry_when_b_approves(victim, abuser, insurer_b, alice, bob, at_b, ask):
    """The abuser is B's member with 自動応答不可; A asks about him, then links him: B's approval completes it coded."""
    at_b(abuser)
    waiting = ask(insurer_b, sim_id=abuser.sim_id, item="medical_eligibility", procedure="eligibility_check")
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_inquiry_about_abuser=True)
    link_person(actor=alice, case=case, person=abuser, reason="加害者")
    done = approve_manual_response(actor=bob, record=waiting)
    assert (done.inquiry_code, done.inquiry_code_source, done.inquiry_code_case) == (True, "linked", case)
    assert portal_history(person=abuser) == []


def test_peer_insurer_flags_her_while_its_inquiry_waits_with_us_and_we_approve(
    victim, alice, flag, procedures, items
):
    """An inquiry received from a peer insurer (on the insurers' server, not a tenant of ours): its flag in force at
    our approval codes its inquiry side at completion."""
    peer = f.InsurerFactory(name="Ｐ健康保険組合", is_tenant=False)
    flag(victim, SettingKind.NO_AUTO_RESPONSE)
    waiting = receive_inquiry(inquirer=peer, department=None, provider=victim.insurer, subject=victim.person,
                              procedure=procedures["eligibility_check"], item=items["medical_eligibility"])
    assert waiting.state == ExchangeState.MANUAL and not waiting.inquiry_code
    set_peer_setting(institution=peer, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="申出")
    done = approve_manual_response(actor=alice, record=waiting)
    assert (done.inquiry_code, done.inquiry_code_source) == (True, "completion")
    assert portal_history(person=victim.person) == []


def test_municipality_flag_does_not_code_its_own_inquiry_at_completion(victim, alice, flag, city_otsu, procedures,
                                                                       items):
    """Rule 5 / 別添 ① 2/4: the 自治体中間サーバー never codes its own inquiries, at sending or at completion."""
    flag(victim, SettingKind.NO_AUTO_RESPONSE)
    waiting = receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                              procedure=procedures["welfare"], item=items["medical_eligibility"])
    set_peer_setting(institution=city_otsu, person=victim.person, kind=SettingKind.NON_DISCLOSURE, reason="申出")
    done = approve_manual_response(actor=alice, record=waiting)
    assert (done.inquiry_code, done.provision_code) == (False, False)
    assert portal_history(person=victim.person) == [done]


def test_both_sides_are_read_in_one_query_under_both_locks_lower_institution_first(
    requires_postgres, victim, insurer_b, alice, bob
):
    low, high = sorted([victim.insurer_id, insurer_b.pk])
    with CaptureQueriesContext(connection) as queries:
        sides = flag_selectors.both_sides(inquirer_id=high, provider_id=low, person_id=victim.person_id)
    settings_reads = [q["sql"] for q in queries if "EXECUTE nakama_flag_check_" in q["sql"]]
    assert len(settings_reads) == 1 and len(queries) == 1
    locks = [tuple(map(int, m)) for q in queries for m in re.findall(r"pg_advisory_xact_lock\((\d+), (\d+)\)", q["sql"])]
    assert locks == [(low, victim.person_id), (high, victim.person_id)]
    assert sides.inquirer == sides.provider == [] and not sides.linked


def test_the_flag_check_brings_the_providers_latest_replica_in_its_own_statement(
    requires_postgres, victim, city_ko, items
):
    """The 副本 an automatic answer needs is read in the flag check's statement (no round trip of its own): the
    provider's latest of that item, nothing of another institution or item."""
    from exchanges.services import register_peer_replica

    register_peer_replica(institution=city_ko, person=victim.person, item=items["local_tax"], content={"年度": "2024"})
    latest = register_peer_replica(
        institution=city_ko, person=victim.person, item=items["local_tax"], content={"年度": "2025"}
    )
    register_peer_replica(institution=city_ko, person=victim.person, item=items["resident_record"], content={"x": "1"})
    with CaptureQueriesContext(connection) as queries:
        sides = flag_selectors.both_sides(inquirer_id=victim.insurer_id, provider_id=city_ko.pk,
                                          person_id=victim.person_id, replica_item_id=items["local_tax"].pk)
    assert len(queries) == 1
    assert (sides.replica.pk, sides.replica.content) == (latest.pk, {"年度": "2025"})
    none = flag_selectors.both_sides(inquirer_id=victim.insurer_id, provider_id=city_ko.pk,
                                     person_id=victim.person_id, replica_item_id=items["medical_benefit"].pk)
    assert none.replica is None
    assert flag_selectors.both_sides(inquirer_id=victim.insurer_id, provider_id=city_ko.pk,
                                     person_id=victim.person_id).replica is flag_selectors.NOT_READ


def test_approval_reads_settings_links_and_replica_in_one_round_trip(
    requires_postgres, victim, city_otsu, procedures, items, alice
):
    """送信許可: lock the queued record | both settings locks; settings+links+副本 | UPDATE | audit INSERT (its
    trigger takes the chain lock and links it), inside the test's transaction as SAVEPOINT/RELEASE."""
    set_setting(actor=alice, member=victim, kind=SettingKind.NO_AUTO_RESPONSE, reason="自動応答を望まない")
    f.ReplicaFactory(member=victim)
    waiting = receive_inquiry(inquirer=city_otsu, department=None, provider=victim.insurer, subject=victim.person,
                              procedure=procedures["welfare"], item=items["medical_eligibility"])
    assert waiting.state == ExchangeState.MANUAL
    with CaptureQueriesContext(connection) as queries:
        done = approve_manual_response(actor=alice, record=waiting, content={"資格": "有"})
    sql = [q["sql"] for q in queries]
    assert len(sql) == 6, "\n".join(sql)
    flag_check = [s for s in sql if "pg_advisory_xact_lock" in s]
    assert len(flag_check) == 1 and "EXECUTE nakama_flag_check_replica_" in flag_check[0]
    assert not any("members_replica" in s or "nakama_latest_replica" in s for s in sql if s not in flag_check)
    assert done.state == ExchangeState.PROVIDED and done.content_corrected
