"""The admin is the server operator's; records, settings and the audit trail are read-only there."""

import pytest
from django.contrib import admin

from audit.models import AuditEntry
from exchanges.models import AppendRequest, ExchangeRecord
from flags.models import CaseClosure, ClearingRequest, ProtectionCase, Setting
from institutions.models import Staff

READ_ONLY = [ExchangeRecord, AppendRequest, Setting, ClearingRequest, ProtectionCase, CaseClosure, AuditEntry]


@pytest.fixture
def operator(db):
    return Staff.objects.create_superuser(username="ops", password="ops-pw-12345")


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_operator_cannot_add_change_or_delete(model, operator, rf):
    request = rf.get("/")
    request.user = operator
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_change_form_post_is_refused(model, operator, client):
    client.force_login(operator)
    url = f"/ops-admin/{model._meta.app_label}/{model._meta.model_name}/add/"
    assert client.post(url, {}).status_code == 403


def test_verbose_names_are_japanese():
    ours = {"institutions", "members", "audit", "flags", "exchanges", "portal_sim"}
    for model in (m for m in admin.site._registry if m._meta.app_label in ours):
        name = str(model._meta.verbose_name)
        assert any(ord(ch) > 0x3000 for ch in name), f"{model.__name__} has no Japanese verbose_name: {name}"
