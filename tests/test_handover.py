"""引継ぎ (issue 11 point 3): she leaves insurer A for insurer B (both on Nakama). Only B's confirmed handover
protects her at B; B never reads A's case, records or audit; a declined offer changes nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from exchanges.models import ExchangeRecord
from exchanges.services import InquiryRequest, send_inquiry
from flags.handover import confirm_handover, decline_handover, handovers_received, offer_handover
from flags.models import ProtectionCase, Setting
from flags.services import open_protection_case
from institutions.models import Role
from members.services import record_loss
from tests import factories as f


@pytest.fixture
def moved(alice, bob, victim, abuser, insurer_b, city_ko, procedures, items):
    """Her case at A (不開示該当・自己情報提供不可, the abuser linked), an inquiry A made about her, her 資格喪失 at A
    and her membership at B."""
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, case_card_or_proxy=True, linked_persons=[abuser],
                                reason="本人の申出")
    a_record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, member=victim))
    record_loss(actor=alice, member=victim, lost_on=timezone.localdate())
    at_b = f.MemberFactory(insurer=insurer_b, person=victim.person, branch_number="B0000009")
    b_super = f.StaffFactory(department=bob.department, role=Role.SUPERVISOR)
    return {"case": case, "a_record": a_record, "at_b": at_b, "b_super": b_super}


def _b_asks(bob, procedures, items, city_ko, **who):
    return send_inquiry(actor=bob, request=InquiryRequest(
        procedure=procedures["koki_premium"], item=items["local_tax"], provider=city_ko, **who))


def test_only_the_confirmed_handover_protects_her_at_the_new_insurer(
    moved, alice, bob, abuser, insurer_b, city_ko, procedures, items
):
    b_super, at_b = moved["b_super"], moved["at_b"]
    handover = offer_handover(actor=alice, case=moved["case"], to_institution=insurer_b,
                              consent_on=timezone.localdate())
    # Until B confirms, nothing is coded at B: B's inquiry about her goes without a code.
    assert not _b_asks(bob, procedures, items, city_ko, member=at_b).inquiry_code
    assert not ProtectionCase.objects.filter(member=at_b).exists()
    # What B sees: the person, the kinds, the linked persons, the review date — and nothing of A's.
    [seen] = handovers_received(b_super)
    assert seen.person == at_b.person and seen.kinds == ["non_disclosure", "no_self_info"]
    assert list(seen.linked_persons.all()) == [abuser]
    assert list(ProtectionCase.objects.visible_to(b_super)) == []
    assert moved["a_record"] not in ExchangeRecord.objects.visible_to(b_super)
    b_trail = AuditEntry.objects.visible_to(b_super)
    assert b_trail.filter(action="handover.received").count() == 1
    assert not b_trail.filter(actor_name__contains="アリス").exists()
    assert list(handovers_received(alice)) == []

    with pytest.raises(PermissionDenied):
        confirm_handover(actor=bob, handover=handover)  # a 担当者: the 責任者 confirms
    case = confirm_handover(actor=b_super, handover=handover)
    assert case.member == at_b and case.institution == insurer_b
    assert set(Setting.objects.filter(member=at_b).active().values_list("kind", flat=True)) == {
        "non_disclosure", "no_self_info"}
    assert [link.person for link in case.linked_persons.all()] == [abuser]
    assert case.review_on == moved["case"].review_on
    # From now on B's inquiries about her and about the linked abuser carry 不開示コード.
    assert _b_asks(bob, procedures, items, city_ko, member=at_b).inquiry_code
    assert _b_asks(bob, procedures, items, city_ko, sim_id=abuser.sim_id).inquiry_code
    # Both trails record it; A's case stays A's.
    assert AuditEntry.objects.visible_to(alice).filter(action="handover.outcome").count() == 1
    assert AuditEntry.objects.visible_to(b_super).filter(action="handover.confirmed").count() == 1
    assert list(ProtectionCase.objects.visible_to(b_super)) == [case]
    with pytest.raises(ValidationError, match="すでに確認されています"):
        decline_handover(actor=b_super, handover=handover, reason="遅れて辞退")


def test_a_declined_handover_changes_nothing(moved, alice, bob, insurer_b, city_ko, procedures, items):
    handover = offer_handover(actor=alice, case=moved["case"], to_institution=insurer_b,
                              consent_on=timezone.localdate())
    with pytest.raises(ValidationError):
        decline_handover(actor=moved["b_super"], handover=handover, reason="")
    declined = decline_handover(actor=moved["b_super"], handover=handover, reason="本人が当組合に加入していない")
    assert declined.state == "declined"
    assert not ProtectionCase.objects.filter(member=moved["at_b"]).exists()
    assert not Setting.objects.filter(member=moved["at_b"]).exists()
    assert not _b_asks(bob, procedures, items, city_ko, member=moved["at_b"]).inquiry_code
    outcome = AuditEntry.objects.visible_to(alice).get(action="handover.outcome")
    assert outcome.after["state"] == "辞退"


def test_no_offer_before_the_loss_or_to_a_non_tenant(alice, victim, insurer_b, city_ko):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    with pytest.raises(ValidationError, match="資格喪失が記録されていません"):
        offer_handover(actor=alice, case=case, to_institution=insurer_b, consent_on=timezone.localdate())
    with pytest.raises(ValidationError) as refused:
        offer_handover(actor=alice, case=case, to_institution=city_ko,
                       consent_on=timezone.localdate() + datetime.timedelta(days=1))
    assert set(refused.value.message_dict) == {"to_institution", "consent_on"}
