"""A small world for the console: insurer A with a protected person (case ① and ②, the abuser linked after a first inquiry about him coded by hand; a second linked person with a removal request pending), an ordinary
member with 自動応答不可 whose inquiry waits in the manual queue, an inquiry about the abuser with 不開示コード,
a pending clearing request and a 追記依頼; insurer B's clerk, supervisor and auditor as outsiders."""

import datetime
from dataclasses import dataclass

import pytest

from exchanges.models import AppendRequest, ExchangeRecord
from exchanges.nws import process_pending_append_requests
from exchanges.services import InquiryRequest, file_append_request, receive_inquiry, send_inquiry
from flags.case_lifecycle import request_case_closure
from flags.links import link_person, request_link_removal
from flags.models import CaseClosure, CaseLinkedPerson, ClearingRequest, LinkRemovalRequest, ProtectionCase, Setting
from flags.policy import SettingKind
from flags.services import open_protection_case, request_clearing, set_setting, update_case_checklist
from institutions.models import Role, RoleGrantRequest
from institutions.services import request_role_grant
from members.models import Member
from tests import factories as f


@dataclass
class Scene:
    victim: Member
    ordinary: Member
    case: ProtectionCase
    setting: Setting
    abuser_record: ExchangeRecord
    manual_record: ExchangeRecord
    clearing_request: ClearingRequest
    append_request: AppendRequest
    role_grant: RoleGrantRequest
    closure: CaseClosure
    link: CaseLinkedPerson  # the abuser, 要注意照会対象 of the case
    link_removal: LinkRemovalRequest  # alice asked to remove a second linked person; a supervisor decides


@pytest.fixture
def scene(alice, sam, victim, abuser, city_ko, city_otsu, items, procedures, insurer_a) -> Scene:
    case = open_protection_case(
        actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True, requested_by_person=True,
        case_card_or_proxy=True, case_inquiry_about_abuser=True, reason="本人の申出",
    )
    ordinary = f.MemberFactory(insurer=insurer_a, person=f.PersonFactory(name="鈴木 一郎", kana="スズキ イチロウ"),
                               branch_number="A0000002")
    f.ReplicaFactory(member=ordinary)
    set_setting(actor=alice, member=ordinary, kind=SettingKind.NO_AUTO_RESPONSE, item=items["medical_eligibility"],
                reason="副本登録の遅延（別紙3 ③）")
    manual_record = receive_inquiry(
        inquirer=city_otsu, department=city_otsu.departments.first(), provider=insurer_a, subject=ordinary.person,
        procedure=procedures["welfare"], item=items["medical_eligibility"],
    )
    abuser_record = send_inquiry(actor=alice, request=InquiryRequest(
        procedure=procedures["kenpo_benefit"], item=items["local_tax"], provider=city_ko, sim_id=abuser.sim_id,
        nondisclosure_code=True,
    ))
    setting = Setting.objects.get(member=victim, kind=SettingKind.NON_DISCLOSURE)
    day = datetime.date(2026, 4, 10)
    update_case_checklist(actor=alice, case=case, card_suspension_advised_on=day, card_suspension_confirmed_on=day,
                          proxy_cancel_advised_on=day, proxy_cancel_confirmed_on=day)
    clearing_request = request_clearing(actor=alice, setting=setting, reason="カード停止の完了を確認")
    append_request = file_append_request(actor=alice, record=abuser_record, reason="念のため")
    process_pending_append_requests()  # the simulated NWS: the record is 追記依頼により不開示
    role_grant = request_role_grant(actor=sam, staff=alice, role=Role.AUDITOR, reason="監査担当の交代")
    # A second protected member whose case waits for a supervisor to approve its closure.
    closing = f.MemberFactory(insurer=insurer_a, person=f.PersonFactory(name="田中 三恵", kana="タナカ ミエ"),
                              branch_number="A0000003")
    closing_case = open_protection_case(actor=alice, member=closing, victim_confirmed=True, fled_confirmed=True,
                                        requested_by_person=True, reason="本人の申出")
    closure = request_case_closure(actor=alice, case=closing_case, reason="加害者が遠方に転居し危険がなくなった",
                                   clear_settings=True)
    # Linked after that first inquiry (sent with the code by hand): from now on the system codes every one.
    link_person(actor=alice, case=case, person=abuser, reason="加害者")
    relative = link_person(actor=alice, case=case, person=f.PersonFactory(name="佐藤 次郎"), reason="加害者の兄")
    link_removal = request_link_removal(actor=alice, link=relative, reason="転居により不要")
    return Scene(victim=victim, ordinary=ordinary, case=case, setting=setting, abuser_record=abuser_record,
                 manual_record=manual_record, clearing_request=clearing_request, append_request=append_request,
                 closure=closure, role_grant=role_grant, link=case.linked_persons.get(person=abuser),
                 link_removal=link_removal)


@pytest.fixture
def bob_super(dept_b):
    return f.StaffFactory(username="bob_super", display_name="ビル 責任者", department=dept_b, role=Role.SUPERVISOR)


@pytest.fixture
def bob_audit(dept_b):
    return f.StaffFactory(username="bob_audit", display_name="ベス 監査", department=dept_b, role=Role.AUDITOR)


@pytest.fixture
def as_user(client):
    """as_user(user) → the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Many staff accounts per test: hash their passwords cheaply (only in the console tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def received_handover(scene: Scene):
    """A handover offered to insurer A by a third Nakama insurer (Ｃ共済組合) for a person who joined A: the page
    A's supervisor confirms on. Made on first use and kept on the scene."""
    if getattr(scene, "_handover", None) is None:
        from django.utils import timezone

        from flags.handover import offer_handover
        from members.services import record_loss

        insurer_c = f.InsurerFactory(name="Ｃ共済組合")
        clerk_c = f.StaffFactory(department=f.DepartmentFactory(institution=insurer_c, name="組合員課"),
                                 role=Role.CLERK)
        person = f.PersonFactory(name="高橋 里美", kana="タカハシ サトミ")
        at_c = f.MemberFactory(insurer=insurer_c, person=person)
        case_c = open_protection_case(actor=clerk_c, member=at_c, victim_confirmed=True, fled_confirmed=True,
                                      requested_by_person=True, reason="本人の申出")
        record_loss(actor=clerk_c, member=at_c, lost_on=timezone.localdate())
        f.MemberFactory(insurer=scene.victim.insurer, person=person, branch_number="A0000099")
        scene._handover = offer_handover(actor=clerk_c, case=case_c, to_institution=scene.victim.insurer,
                                         consent_on=timezone.localdate())
    return scene._handover
