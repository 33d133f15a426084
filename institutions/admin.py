"""The operator reads institutions and staff here; it never creates, edits or deletes them (audit.admin).

Staff accounts change only through institutions.services (console /staff/); the one act the operator has is to
approve or decline a role-grant request, through the same service and audit entries as a 責任者.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from audit.admin import ReadOnlyAdmin, ReadOnlyAdminMixin
from institutions.models import Department, Institution, RoleGrantRequest, Staff
from institutions.services import decide_role_grant


class DepartmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "insurer_number", "is_tenant")
    list_filter = ("kind", "is_tenant")
    inlines = [DepartmentInline]


@admin.register(Staff)
class StaffAdmin(ReadOnlyAdminMixin, UserAdmin):
    list_display = ("username", "display_name", "institution", "department", "role", "role_granted_at", "is_active")
    list_filter = ("role", "institution")
    fieldsets = UserAdmin.fieldsets + (
        ("所属", {"fields": ("display_name", "institution", "department", "role")}),
        ("役割の付与", {"fields": ("role_granted_at", "role_requested_by", "role_approved_by")}),
        ("登録の経緯", {"fields": ("created_via", "created_by")}),
    )


@admin.register(RoleGrantRequest)
class RoleGrantRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "institution", "requested_by_name", "display_name", "role", "state",
                    "decided_by_name")
    list_filter = ("state", "institution")
    exclude = ("password_hash",)
    actions = ["approve_requests", "decline_requests"]

    def has_decide_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    @admin.action(description="選択した依頼を承認する（運用者として・監査証跡に記録）", permissions=["decide"])
    def approve_requests(self, request, queryset):
        self._decide(request, queryset, approve=True, note="運用者が承認")

    @admin.action(description="選択した依頼を却下する（運用者として・監査証跡に記録）", permissions=["decide"])
    def decline_requests(self, request, queryset):
        self._decide(request, queryset, approve=False, note="運用者が却下")

    def _decide(self, request, queryset, *, approve: bool, note: str) -> None:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        for grant in queryset:
            try:
                decide_role_grant(actor=request.user, grant_request=grant, approve=approve, note=note)
            except (ValidationError, PermissionDenied) as exc:
                reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{grant}: {reason}", messages.ERROR)
            else:
                self.message_user(request, f"{grant}: {'承認' if approve else '却下'}しました。", messages.SUCCESS)


# Third-party models: the same read-only rule.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    pass
