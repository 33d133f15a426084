from django.contrib import admin

from members.models import InfoItem, Member, Person, Procedure, Replica


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("sim_id", "name", "kana", "birth_date")
    search_fields = ("sim_id",)


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("insurer", "branch_number", "name", "kana", "acquired_on", "lost_on")
    list_filter = ("insurer",)


@admin.register(InfoItem)
class InfoItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "portal_group")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Replica)
class ReplicaAdmin(admin.ModelAdmin):
    list_display = ("institution", "person", "item", "registered_at")

    def has_change_permission(self, request, obj=None):
        return False  # 副本 history is kept: a new registration, never an edit
