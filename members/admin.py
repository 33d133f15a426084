"""Read-only for the operator (audit.admin): members and 副本 change only through members.services and the API."""

from collections.abc import Iterable

from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from members.models import InfoItem, Member, Person, Procedure, Replica


def members_of_persons(person_ids: Iterable[int], insurer_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the members of these persons (at these insurers): what the operator's pages show of them."""
    members = Member.objects.filter(person_id__in={p for p in person_ids if p})
    if insurer_ids is not None:
        members = members.filter(insurer_id__in=set(insurer_ids))
    return set(members.values_list("pk", flat=True))


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("sim_id", "name", "kana", "birth_date")
    search_fields = ("sim_id",)

    def members_shown(self, objects):
        return members_of_persons(p.pk for p in objects)


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("insurer", "branch_number", "name", "kana", "acquired_on", "lost_on")
    list_filter = ("insurer",)

    def members_shown(self, objects):
        return {m.pk for m in objects}


@admin.register(InfoItem)
class InfoItemAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "portal_group")


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")


@admin.register(Replica)
class ReplicaAdmin(ReadOnlyAdmin):
    list_display = ("institution", "person", "item", "registered_at")

    def members_shown(self, objects):
        return {r.member_id for r in objects}
