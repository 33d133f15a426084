"""Issue 9 ②: four eyes that hold. A 責任者 or 監査者 exists only when another 責任者 approves; an account made at
the request of (or after) a clearing request cannot approve that request; every staff change is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from flags.models import ClearingRequestState
from flags.policy import SettingKind
from flags.services import decide_clearing, request_clearing, set_setting
from institutions.models import Role, RoleGrantRequest, RoleGrantRequestState, Staff
from institutions.services import create_staff, deactivate_staff, decide_role_grant, request_role_grant
from tests import factories as f

PASSWORD = "long-enough-pass-99"
NEW_SUPER = {"username": "sam2", "display_name": "サム二号 責任者", "role": "supervisor", "password1": PASSWORD,
             "password2": PASSWORD, "reason": "責任者の増員"}


@pytest.fixture
def setting(alice, victim):
    return set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")


def _approve_with_ui(client, grant):
    return client.post(reverse("console:role_grant_detail", args=[grant.pk]), {"decision": "approve", "note": ""})


def test_one_supervisor_cannot_clear_with_a_second_supervisor_he_creates(sam, sue, setting, dept_a, as_user):
    """The attack of issue 9: sam files a clearing request, creates a second 責任者 at /staff/new/, approves with it."""
    clearing = request_clearing(actor=sam, setting=setting, reason="カード停止の完了を確認")
    response = as_user(sam).post(reverse("console:staff_new"), {**NEW_SUPER, "department": dept_a.pk})
    assert response.status_code == 302 and response.url == reverse("console:role_grant_list")
    assert not Staff.objects.filter(username="sam2").exists()  # only a request: nobody to sign in as
    grant = RoleGrantRequest.objects.get(username="sam2")

    assert _approve_with_ui(as_user(sam), grant).status_code == 400  # sam cannot approve his own request
    assert not Staff.objects.filter(username="sam2").exists()

    # Even when sue (independent) lets the account through, it cannot approve sam's clearing request.
    assert _approve_with_ui(as_user(sue), grant).status_code == 302
    sam2 = Staff.objects.get(username="sam2")
    assert sam2.role == Role.SUPERVISOR and sam2.role_requested_by == sam and sam2.role_approved_by == sue
    # Through lifecycle's confirmation step (confirmed=1): the refusal comes from the service, not the form.
    response = as_user(sam2).post(reverse("console:clearing_detail", args=[clearing.pk]),
                                  {"decision": "approve", "confirmed": "1"})
    assert response.status_code == 400
    assert "依頼者の依頼で（直接又は間接に）登録・昇格された職員" in response.content.decode()
    clearing.refresh_from_db()
    setting.refresh_from_db()
    assert clearing.state == ClearingRequestState.PENDING and setting.is_active


def test_an_account_granted_after_the_clearing_request_cannot_approve_it(alice, sam, sue, setting, dept_a):
    clearing = request_clearing(actor=alice, setting=setting, reason="カード停止の完了を確認")
    grant = request_role_grant(actor=sue, role=Role.SUPERVISOR, reason="増員", username="newcomer",
                               display_name="新任 責任者", department=dept_a, password=PASSWORD)
    newcomer = decide_role_grant(actor=sam, grant_request=grant, approve=True).staff
    with pytest.raises(ValidationError, match="依頼の後に役割を付与されたアカウント") as exc:
        decide_clearing(actor=newcomer, clearing_request=clearing, approve=True)
    assert exc.value.code == "four_eyes"
    assert decide_clearing(actor=sue, clearing_request=clearing, approve=True).state == ClearingRequestState.APPROVED


def test_a_promotion_at_the_requesters_request_cannot_approve_his_later_requests(alice, sam, sue, audrey, setting):
    """An old colleague promoted at sam's request is still sam's choice: never an approver of sam's requests."""
    grant = request_role_grant(actor=sam, staff=audrey, role=Role.SUPERVISOR, reason="異動")
    decide_role_grant(actor=sue, grant_request=grant, approve=True)
    audrey.refresh_from_db()
    clearing = request_clearing(actor=sam, setting=setting, reason="カード停止の完了を確認")
    with pytest.raises(ValidationError, match="依頼者の依頼で（直接又は間接に）登録・昇格された"):
        decide_clearing(actor=audrey, clearing_request=clearing, approve=True)


def test_one_supervisor_cannot_clear_through_a_clerk_he_creates(sam, sue, setting, dept_a, as_user):
    """The same attack with a 担当者, who needs no approval to exist: the clerk files, his maker approves."""
    puppet = create_staff(actor=sam, username="puppet", display_name="代理 担当", department=dept_a, role=Role.CLERK,
                          password=PASSWORD)
    clearing = request_clearing(actor=puppet, setting=setting, reason="カード停止の完了を確認")
    response = as_user(sam).post(reverse("console:clearing_detail", args=[clearing.pk]),
                                  {"decision": "approve", "confirmed": "1"})  # past the confirmation step
    assert response.status_code == 400
    assert "あなたの依頼で（直接又は間接に）登録・昇格された職員" in response.content.decode()
    setting.refresh_from_db()
    assert setting.is_active
    assert decide_clearing(actor=sue, clearing_request=clearing, approve=True).state == ClearingRequestState.APPROVED


def test_new_auditor_takes_effect_only_when_another_supervisor_approves(sam, sue, dept_a, as_user):
    data = {**NEW_SUPER, "username": "aud2", "display_name": "新 監査", "role": "auditor", "department": dept_a.pk}
    as_user(sam).post(reverse("console:staff_new"), data)
    grant = RoleGrantRequest.objects.get(username="aud2")
    assert grant.state == RoleGrantRequestState.PENDING and not Staff.objects.filter(username="aud2").exists()
    assert PASSWORD not in grant.password_hash and grant.password_hash

    assert _approve_with_ui(as_user(sue), grant).status_code == 302
    aud2 = Staff.objects.get(username="aud2")
    assert aud2.role == Role.AUDITOR and aud2.check_password(PASSWORD) and aud2.institution == sam.institution
    grant.refresh_from_db()
    assert grant.state == RoleGrantRequestState.APPROVED and grant.password_hash == "" and grant.staff == aud2
    actions = list(AuditEntry.objects.filter(institution=sam.institution).values_list("action", "actor"))
    assert ("staff.role_grant_requested", sam.pk) in actions and ("staff.role_granted", sue.pk) in actions


def test_elevated_role_without_reason_is_refused_in_japanese(sam, dept_a, as_user):
    response = as_user(sam).post(reverse("console:staff_new"), {**NEW_SUPER, "reason": "", "department": dept_a.pk})
    assert response.status_code == 400 and "理由を入力してください。" in response.content.decode()
    assert not RoleGrantRequest.objects.exists()


def test_create_staff_refuses_elevated_roles_whatever_the_caller(sam, dept_a):
    for role in (Role.SUPERVISOR, Role.AUDITOR):
        with pytest.raises(ValidationError) as exc:
            create_staff(actor=sam, username="x1", display_name="x", department=dept_a, role=role, password=PASSWORD)
        assert exc.value.error_dict["role"][0].code == "needs_approval"
    assert not Staff.objects.filter(username="x1").exists()


def test_clerk_created_at_once_records_when_and_at_whose_request(sam, dept_a):
    carol = create_staff(actor=sam, username="carol", display_name="キャロル", department=dept_a, role=Role.CLERK,
                         password=PASSWORD)
    assert carol.role_requested_by == sam and carol.role_granted_at is not None


def test_promotion_from_the_staff_page_waits_for_approval(alice, sam, sue, as_user):
    response = as_user(sam).post(reverse("console:staff_detail", args=[alice.pk]),
                                 {"op": "role", "role": "supervisor", "reason": "昇任"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.CLERK
    grant = RoleGrantRequest.objects.get(staff=alice)
    assert _approve_with_ui(as_user(sue), grant).status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.SUPERVISOR and alice.role_requested_by == sam and alice.role_approved_by == sue


def test_declined_request_grants_nothing(sam, sue, dept_a, as_user):
    as_user(sam).post(reverse("console:staff_new"), {**NEW_SUPER, "department": dept_a.pk})
    grant = RoleGrantRequest.objects.get(username="sam2")
    response = as_user(sue).post(reverse("console:role_grant_detail", args=[grant.pk]),
                                 {"decision": "reject", "note": "必要性が不明"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == RoleGrantRequestState.DECLINED and grant.password_hash == ""
    assert not Staff.objects.filter(username="sam2").exists()
    assert AuditEntry.objects.filter(action="staff.role_grant_declined", actor=sue).exists()


def test_clerks_and_auditors_cannot_request_roles(alice, audrey, sue):
    for actor in (alice, audrey):
        with pytest.raises(PermissionDenied):
            request_role_grant(actor=actor, staff=sue, role=Role.CLERK, reason="x")


def test_another_insurers_supervisor_cannot_decide(sam, sue, alice, dept_b, as_user):
    bob_super = f.StaffFactory(username="bob_super", department=dept_b, role=Role.SUPERVISOR)
    grant = request_role_grant(actor=sam, staff=alice, role=Role.AUDITOR, reason="交代")
    assert _approve_with_ui(as_user(bob_super), grant).status_code == 404
    with pytest.raises(ValidationError):
        decide_role_grant(actor=bob_super, grant_request=grant, approve=True)
    alice.refresh_from_db()
    assert alice.role == Role.CLERK


def test_operator_may_approve_and_it_is_in_the_insurers_audit_trail(sam, alice):
    operator = Staff.objects.create_superuser(username="ops", password="ops-pw-12345")
    grant = request_role_grant(actor=sam, staff=alice, role=Role.SUPERVISOR, reason="昇任")
    decide_role_grant(actor=operator, grant_request=grant, approve=True)
    alice.refresh_from_db()
    assert alice.role == Role.SUPERVISOR and alice.role_approved_by == operator
    entry = AuditEntry.objects.get(action="staff.role_granted")
    assert entry.actor == operator and entry.institution == sam.institution and entry.after["operator"] is True


def test_deactivation_is_audited_and_not_of_oneself(sam, sue, alice):
    deactivate_staff(actor=sam, staff=alice, reason="退職")
    alice.refresh_from_db()
    assert not alice.is_active
    assert AuditEntry.objects.filter(action="staff.deactivated", actor=sam, target_id=str(alice.pk)).exists()
    with pytest.raises(ValidationError):
        deactivate_staff(actor=sam, staff=sam, reason="x")


def test_a_deactivated_supervisor_cannot_approve(sam, sue, alice):
    grant = request_role_grant(actor=sam, staff=alice, role=Role.AUDITOR, reason="交代")
    deactivate_staff(actor=sam, staff=sue, reason="退職")
    sue.refresh_from_db()
    with pytest.raises(PermissionDenied):
        decide_role_grant(actor=sue, grant_request=grant, approve=True)


def test_one_supervisor_cannot_unlink_the_abuser_through_a_clerk_he_creates(sam, sue, alice, victim, abuser, dept_a):
    """The clerk variant against 要注意照会対象: the clerk he made asks to remove the abuser's link, he approves."""
    from flags.links import decide_link_removal, request_link_removal
    from flags.services import open_protection_case

    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True, linked_persons=[abuser])
    puppet = create_staff(actor=sam, username="puppet", display_name="代理 担当", department=dept_a, role=Role.CLERK,
                          password=PASSWORD)
    removal = request_link_removal(actor=puppet, link=case.linked_persons.get(), reason="誤登録")
    with pytest.raises(ValidationError) as refused:
        decide_link_removal(actor=sam, removal_request=removal, approve=True)
    assert "あなたの依頼で（直接又は間接に）登録・昇格された職員" in str(refused.value)
    assert case.linked_persons.get().is_in_force
    assert decide_link_removal(actor=sue, removal_request=removal, approve=True).state == ClearingRequestState.APPROVED


def test_one_supervisor_cannot_close_a_case_through_a_clerk_he_creates(sam, sue, alice, victim, dept_a):
    from flags.case_lifecycle import decide_case_closure, request_case_closure
    from flags.services import open_protection_case

    case = open_protection_case(actor=alice, member=victim, victim_confirmed=True, fled_confirmed=True,
                                requested_by_person=True)
    puppet = create_staff(actor=sam, username="puppet", display_name="代理 担当", department=dept_a, role=Role.CLERK,
                          password=PASSWORD)
    closure = request_case_closure(actor=puppet, case=case, reason="危険がなくなった", clear_settings=True)
    with pytest.raises(ValidationError) as refused:
        decide_case_closure(actor=sam, closure=closure, approve=True)
    assert "あなたの依頼で（直接又は間接に）登録・昇格された職員" in str(refused.value)
    case.refresh_from_db()
    assert case.is_open
    decide_case_closure(actor=sue, closure=closure, approve=True)
    case.refresh_from_db()
    assert not case.is_open
