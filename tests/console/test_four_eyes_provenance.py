"""Issue 18 ①: four eyes by provenance. Attack 1 replayed over HTTP: 責任者 sam (a_super) makes clerks pupA and pupB
at /staff/new/, asks that pupA become 責任者, sue (a_super2) approves that promotion — the only step anyone else
takes — then pupB files and pupA decides: clearing, link removal and case closure are all refused, in Japanese
with the rule, and nothing changes. An independent supervisor (sue) still decides."""

import pytest
from django.urls import reverse

from flags.links import link_person
from flags.models import CaseClosure, ClearingRequest, ClearingRequestState, LinkRemovalRequest, Setting
from flags.policy import SettingKind
from flags.services import open_protection_case
from institutions.access import independence_refusal, lineage
from institutions.models import Role, RoleGrantRequest, Staff, StaffOrigin
from institutions.services import create_staff, decide_role_grant, request_role_grant
from tests import factories as f

PASSWORD = "long-enough-pass-99"


def _staff_new(client, dept, username):
    return client.post(reverse("console:staff_new"), {
        "username": username, "display_name": f"{username} 担当", "department": dept.pk, "role": "clerk",
        "password1": PASSWORD, "password2": PASSWORD, "reason": "",
    })


@pytest.fixture
def puppets(sam, sue, dept_a, as_user):
    """The attack's set-up, every step over HTTP: sam makes pupA and pupB; sue approves pupA's promotion."""
    for name in ("pupA", "pupB"):
        assert _staff_new(as_user(sam), dept_a, name).status_code == 302
    pup_a, pup_b = Staff.objects.get(username="pupA"), Staff.objects.get(username="pupB")
    assert (pup_a.created_by, pup_a.created_via) == (sam, StaffOrigin.CONSOLE)
    response = as_user(sam).post(reverse("console:staff_detail", args=[pup_a.pk]),
                                 {"op": "role", "role": "supervisor", "reason": "責任者の増員"})
    assert response.status_code == 302, response.content.decode()[:400]
    grant = RoleGrantRequest.objects.get(staff=pup_a)
    response = as_user(sue).post(reverse("console:role_grant_detail", args=[grant.pk]),
                                 {"decision": "approve", "note": ""})
    assert response.status_code == 302
    pup_a.refresh_from_db()
    assert pup_a.role == Role.SUPERVISOR and pup_a.role_approved_by == sue
    return pup_a, pup_b


@pytest.fixture
def protected(alice, victim, abuser):
    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, reason="本人の申出")
    link = link_person(actor=alice, case=case, person=abuser, reason="加害者")
    return case, Setting.objects.get(member=victim, kind=SettingKind.NON_DISCLOSURE), link


def _refused(response) -> None:
    assert response.status_code == 400, response.status_code
    page = response.content.decode()
    assert "同じ職員の依頼で登録・昇格された職員です" in page
    assert "両者が同じ職員の依頼で登録・昇格された職員であること" in page  # the rule, said where it is refused


def test_attack_1_pup_a_cannot_approve_pup_b_clearing_link_removal_or_case_closure(puppets, protected, sue, as_user):
    pup_a, pup_b = puppets
    case, setting, link = protected

    assert as_user(pup_b).post(reverse("console:case_close_request", args=[case.pk]),
                               {"reason": "危険がなくなった", "clear_settings": "on"}).status_code == 302
    closure = CaseClosure.objects.get(case=case)
    _refused(as_user(pup_a).post(reverse("console:closure_detail", args=[closure.pk]),
                                 {"decision": "approve", "confirmed": "1"}))

    assert as_user(pup_b).post(reverse("console:link_request_removal", args=[link.pk]),
                               {"reason": "不要になった"}).status_code == 302
    removal = LinkRemovalRequest.objects.get(link=link)
    _refused(as_user(pup_a).post(reverse("console:link_removal_detail", args=[removal.pk]),
                                 {"decision": "approve", "confirmed": "1"}))

    assert as_user(pup_b).post(reverse("console:setting_request_clearing", args=[setting.pk]),
                               {"reason": "カード停止の完了を確認"}).status_code == 302
    clearing = ClearingRequest.objects.get(setting=setting)
    _refused(as_user(pup_a).post(reverse("console:clearing_detail", args=[clearing.pk]),
                                 {"decision": "approve", "confirmed": "1"}))

    for obj in (clearing, removal, closure, setting, link, case):
        obj.refresh_from_db()
    assert {clearing.state, removal.state, closure.state} == {ClearingRequestState.PENDING}
    assert setting.cleared_at is None and link.removed_at is None and case.closed_at is None

    # Not a refusal of everything: sue, made by nobody of theirs, decides pupB's request.
    response = as_user(sue).post(reverse("console:clearing_detail", args=[clearing.pk]),
                                 {"decision": "approve", "confirmed": "1"})
    assert response.status_code == 302
    setting.refresh_from_db()
    assert setting.cleared_at is not None and setting.cleared_by == sue


def test_provenance_is_followed_through_accounts_a_puppet_made(puppets, sam, dept_a):
    """One hop further: pupA (made by sam) makes pupC; sam may not decide pupC's request, nor pupC sam's."""
    pup_a, _ = puppets
    pup_c = create_staff(actor=pup_a, username="pupC", display_name="pupC 担当", department=dept_a, role=Role.CLERK,
                         password=PASSWORD)
    assert lineage(pup_c.pk) == {pup_a.pk, sam.pk}
    refusal = independence_refusal(sam, requested_by=pup_c, requested_at=None)
    assert refusal is not None and "あなたの依頼で（直接又は間接に）" in refusal.messages[0]


def test_an_earlier_promotion_still_counts_after_a_later_one(sam, sue, dept_a):
    """pupA made by sam, promoted at sam's request, later demoted and re-promoted at sue's: still sam's."""
    pup = create_staff(actor=sam, username="pupD", display_name="pupD 担当", department=dept_a, role=Role.CLERK,
                       password=PASSWORD)
    third = f.StaffFactory(username="third", department=dept_a, role=Role.SUPERVISOR)
    grant = request_role_grant(actor=sue, staff=pup, role=Role.AUDITOR, reason="異動")
    decide_role_grant(actor=third, grant_request=grant, approve=True)
    pup.refresh_from_db()
    assert pup.role_requested_by == sue
    assert lineage(pup.pk) == {sam.pk, sue.pk}  # the account's maker is not forgotten


def test_independent_supervisors_made_by_the_operator_stay_independent(sam, sue):
    """The operator (no insurer) makes an insurer's first accounts: it is nobody's common sponsor."""
    operator = f.StaffFactory(username="ops", institution=None, department=None, role="", is_superuser=True)
    Staff.objects.filter(pk__in=[sam.pk, sue.pk]).update(created_by=operator, created_via=StaffOrigin.COMMAND)
    assert independence_refusal(sue, requested_by=sam, requested_at=None) is None
