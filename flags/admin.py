from django.contrib import admin

from audit.admin import ReadOnlyAdmin, register_protected_members
from flags.models import CaseClosure, ClearingRequest, ProtectionCase, Setting
from members.models import Member


def protected_members(member_ids: set[int]):
    """Members, of any insurer, with an open protection case or an active setting (for audit.admin's views)."""
    with_setting = Setting.objects.active().filter(member_id__in=member_ids).values_list("member_id", flat=True)
    with_case = ProtectionCase.objects.filter(member_id__in=member_ids, closed_at__isnull=True).values_list(
        "member_id", flat=True
    )
    return Member.objects.filter(pk__in=set(with_setting) | set(with_case)).select_related("insurer")


register_protected_members(protected_members)


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
