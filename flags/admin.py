from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from flags.models import ClearingRequest, ProtectionCase, Setting


@admin.register(Setting)
class SettingAdmin(ReadOnlyAdmin):
    list_display = ("institution", "member", "kind", "item", "set_at", "set_by_name", "cleared_at")
    list_filter = ("kind", "institution")


@admin.register(ClearingRequest)
class ClearingRequestAdmin(ReadOnlyAdmin):
    list_display = ("setting", "state", "requested_at", "requested_by_name", "decided_by_name")


@admin.register(ProtectionCase)
class ProtectionCaseAdmin(ReadOnlyAdmin):
    list_display = ("institution", "member", "opened_at", "case_card_or_proxy", "case_inquiry_about_abuser")
