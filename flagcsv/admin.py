"""The operator's export of the settings list in the settings-file format: flagcsv adds it to flags' read-only
SettingAdmin (the arrows point down: flags knows nothing of the file format)."""

from django.contrib import admin
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from audit.services import record
from flagcsv.resources import SettingResource
from flags.admin import SettingAdmin
from flags.models import Setting


class SettingExportAdmin(ExportMixin, SettingAdmin):
    """Read-only; the operator may export the filtered list in the settings-file format (flagcsv), audited.

    This export is built in memory by django-import-export: fine for the operator's filtered lists. Insurers'
    supervisors use the streaming console export (/settings-csv/).
    """

    resource_classes = (SettingResource,)
    formats = (CSV,)
    to_encoding = "utf-8-sig"  # so Excel in Japan reads it as UTF-8

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


admin.site.unregister(Setting)
admin.site.register(Setting, SettingExportAdmin)
