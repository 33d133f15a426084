from django.contrib import admin
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from audit.admin import ReadOnlyAdmin, register_protected_members
from audit.services import record
from flagcsv.resources import SettingResource
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
class SettingAdmin(ExportMixin, ReadOnlyAdmin):
    """Read-only; the operator may export the filtered list in the settings-file format (flagcsv), audited.

    This export is built in memory by django-import-export: fine for the operator's filtered lists. Insurers'
    supervisors use the streaming console export (/settings-csv/).
    """

    list_display = ("institution", "member", "kind", "item", "set_at", "set_by_name", "cleared_at")
    list_filter = ("kind", "institution")
    list_select_related = ("institution", "member", "item")
    resource_classes = (SettingResource,)
    formats = (CSV,)
    to_encoding = "utf-8-sig"  # so Excel in Japan reads it as UTF-8

    def members_shown(self, objects):
        return {s.member_id for s in objects}

    def has_export_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("institution", "member", "item")

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        record(
            actor=request.user,
            action="settings_csv.exported_admin",
            after={"rows": queryset.count(), "filters": dict(request.GET.items())},
            message=f"運用管理画面から設定状況CSVを出力（{queryset.count()}行）",
        )
        return data


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
