from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from institutions.models import Department, Institution, Staff


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "insurer_number", "is_tenant")
    list_filter = ("kind", "is_tenant")
    inlines = [DepartmentInline]


@admin.register(Staff)
class StaffAdmin(UserAdmin):
    list_display = ("username", "display_name", "institution", "department", "role", "is_active")
    list_filter = ("role", "institution")
    fieldsets = UserAdmin.fieldsets + (("所属", {"fields": ("display_name", "institution", "department", "role")}),)
