from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from flags.models import CaseClosure, ClearingRequest, ProtectionCase, Setting


@admin.register(Setting)
class SettingAdmin(ReadOnlyAdmin):
    """Read-only. The settings-file export is added by flagcsv (flagcsv/admin.py): the file format lives above us."""

    list_display = ("institution", "member", "kind", "item", "set_at", "set_by_name", "cleared_at")
    list_filter = ("kind", "institution")
    list_select_related = ("institution", "member", "item")

    def members_shown(self, objects):
        return {s.member_id for s in objects}


@admin.register(ClearingRequest)
class ClearingRequestAdmin(ReadOnlyAdmin):
    list_display = ("setting", "state", "requested_at", "requested_by_name", "decided_by_name")
    list_select_related = ("setting",)

    def members_shown(self, objects):
        return {c.setting.member_id for c in objects}


@admin.register(ProtectionCase)
class ProtectionCaseAdmin(ReadOnlyAdmin):
    list_display = ("institution", "member", "opened_at", "case_card_or_proxy", "case_inquiry_about_abuser", "review_on",
                    "closed_at")

    def members_shown(self, objects):
        return {c.member_id for c in objects}


@admin.register(CaseClosure)
class CaseClosureAdmin(ReadOnlyAdmin):
    list_display = ("case", "state", "requested_at", "requested_by_name", "decided_by_name")

    def members_shown(self, objects):
        return {c.case.member_id for c in objects}
