from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from exchanges.models import AppendRequest, ExchangeRecord


@admin.register(ExchangeRecord)
class ExchangeRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "inquired_at", "inquirer_display", "inquirer_department_display", "provider_display", "item", "state",
        "inquiry_code", "provision_code", "appended_nondisclosure_at",
    )
    list_filter = ("state", "inquiry_code", "provision_code")


@admin.register(AppendRequest)
class AppendRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "institution", "requested_by_name", "processed_at")
