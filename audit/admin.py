from django.contrib import admin

from audit.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records the operator may read but never write: exchange records, settings, the audit trail."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "institution", "action", "target_repr", "request_id")
    list_filter = ("action", "institution")
    search_fields = ("actor_name", "target_repr", "message")
