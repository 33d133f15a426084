"""Issue 9 ③: the operator is a reader. No model admin adds, changes or deletes anything; the operator's few acts go
through the services with their audit entries; every admin page view is audited, and a protected person's data
seen there is recorded in that insurer's trail."""

import pytest
from django.contrib import admin
from django.urls import reverse

from audit.models import AuditEntry
from flags.policy import SettingKind
from flags.services import set_setting
from institutions.models import Role, RoleGrantRequestState, Staff
from institutions.services import request_role_grant

EVERY_MODEL = sorted(admin.site._registry, key=lambda m: m._meta.label)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def operator(db):
    return Staff.objects.create_superuser(username="ops", password="ops-pw-12345")


@pytest.fixture
def ops_client(operator, client):
    client.force_login(operator)
    return client


@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda m: m._meta.label)
def test_every_model_admin_refuses_add_change_and_delete(model, operator, rf):
    request = rf.get("/")
    request.user = operator
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    for inline in model_admin.get_inline_instances(request):
        assert not (inline.has_add_permission(request, None) or inline.has_change_permission(request)
                    or inline.has_delete_permission(request))


@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda m: m._meta.label)
def test_add_form_post_is_refused(model, ops_client):
    assert ops_client.post(_url(model, "add"), {}).status_code == 403


def test_operator_cannot_create_promote_or_reset_staff(ops_client, alice, sam):
    before = AuditEntry.objects.count()
    data = {"username": "mallory", "password1": "long-enough-99", "password2": "long-enough-99"}
    assert ops_client.post(_url(Staff, "add"), data).status_code == 403
    change = {"username": "alice", "role": Role.SUPERVISOR, "institution": alice.institution_id, "is_active": "on"}
    assert ops_client.post(_url(Staff, "change", alice.pk), change).status_code == 403
    assert ops_client.post(f"/ops-admin/institutions/staff/{alice.pk}/password/",
                           {"password1": "new-pass-12345", "password2": "new-pass-12345"}).status_code == 403
    assert ops_client.post(_url(Staff, "delete", sam.pk), {"post": "yes"}).status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.CLERK and alice.check_password("pw-for-tests-1")
    assert not Staff.objects.filter(username="mallory").exists() and Staff.objects.filter(pk=sam.pk).exists()
    assert AuditEntry.objects.count() == before


def test_institution_edit_is_refused(ops_client, insurer_a):
    response = ops_client.post(_url(type(insurer_a), "change", insurer_a.pk), {"name": "乗っ取り", "kind": "kyosai"})
    assert response.status_code == 403
    insurer_a.refresh_from_db()
    assert insurer_a.name == "Ａ健康保険組合"


def test_change_page_is_a_read_only_page(ops_client, alice):
    response = ops_client.get(_url(Staff, "change", alice.pk))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_every_admin_page_view_is_audited(ops_client, operator, alice):
    ops_client.get(_url(Staff, "changelist"))
    ops_client.get(_url(Staff, "change", alice.pk))
    entries = AuditEntry.objects.filter(action="admin.viewed", actor=operator).order_by("id")
    assert [e.after["page"] for e in entries] == ["一覧", "詳細"]
    assert entries[1].after["ids"] == [str(alice.pk)] and entries[0].after["model"] == "institutions.Staff"


def test_operator_view_of_a_protected_person_is_in_the_insurers_trail(ops_client, operator, alice, victim):
    set_setting(actor=alice, member=victim, kind=SettingKind.NON_DISCLOSURE, reason="本人の申出")
    ops_client.get(_url(type(victim), "changelist"))
    ops_client.get(_url(type(victim), "change", victim.pk))
    ops_client.get(_url(type(victim.person), "change", victim.person.pk))
    seen = AuditEntry.objects.visible_to(alice).filter(action="protected.viewed", actor=operator)
    assert seen.count() == 3 and {e.target_id for e in seen} == {str(victim.pk)}


def test_operator_approves_a_role_grant_through_the_service(ops_client, operator, sam, alice):
    grant = request_role_grant(actor=sam, staff=alice, role=Role.SUPERVISOR, reason="昇任")
    response = ops_client.post(_url(type(grant), "changelist"),
                               {"action": "approve_requests", "_selected_action": [grant.pk]})
    assert response.status_code == 302
    grant.refresh_from_db()
    alice.refresh_from_db()
    assert grant.state == RoleGrantRequestState.APPROVED and alice.role == Role.SUPERVISOR
    assert AuditEntry.objects.visible_to(sam).filter(action="staff.role_granted", actor=operator).exists()


def test_verbose_names_are_japanese():
    ours = {"institutions", "members", "audit", "flags", "exchanges", "portal_sim"}
    for model in (m for m in admin.site._registry if m._meta.app_label in ours):
        name = str(model._meta.verbose_name)
        assert any(ord(ch) > 0x3000 for ch in name), f"{model.__name__} has no Japanese verbose_name: {name}"
