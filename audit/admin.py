"""The operator's admin (/ops-admin/) is a reader: no model admin adds, changes or deletes anything.

The few acts the operator has (a re-send, card actions, approving a role grant, an export) are admin actions that
call the same services, with the same audit entries, as the console. Every page the operator opens is audited
(`admin.viewed`), and a protected person's data seen there is also recorded in that insurer's trail
(`protected.viewed`), as the console records its staff's views (SPEC rule 10).
"""

from collections.abc import Callable, Iterable

from django.contrib import admin

from audit.models import AuditEntry
from audit.services import record

MAX_IDS_IN_ENTRY = 100


# Which of the shown members are protected: the app that knows (flags) registers it (arrows point down: audit
# imports nothing above it). Until one is registered, every shown member counts as protected (fail closed).
_protected_members: list[Callable[[set[int]], Iterable]] = []


def register_protected_members(finder: Callable[[set[int]], Iterable]) -> None:
    """`finder(member_ids)` returns the protected members among them (each with `.insurer`)."""
    _protected_members[:] = [finder]


def protected_members(member_ids: Iterable[int]):
    ids = {i for i in member_ids if i}
    if not ids:
        return []
    if not _protected_members:
        from django.apps import apps

        return apps.get_model("members", "Member").objects.filter(pk__in=ids).select_related("insurer")
    return _protected_members[0](ids)


class ReadOnlyAdminMixin:
    """Refuses add, change and delete (the admin then shows read-only pages) and audits every page view."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def members_shown(self, objects: list) -> set[int]:
        """Ids of the members whose data the shown rows carry; models about persons override it."""
        return set()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if request.method == "GET" and cl is not None:
            rows = list(cl.result_list)
            self._audit_view(request, rows, page="一覧", detail={"filters": dict(request.GET.items())})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = response.context_data.get("original") if hasattr(response, "context_data") else None
        if request.method == "GET" and original is not None:
            self._audit_view(request, [original], page="詳細", detail={})
        return response

    def _audit_view(self, request, rows: list, *, page: str, detail: dict) -> None:
        label = str(self.model._meta.verbose_name)
        record(
            actor=request.user, action="admin.viewed", institution=None,
            after={"model": self.model._meta.label, "page": page, "rows": len(rows),
                   "ids": [str(r.pk) for r in rows[:MAX_IDS_IN_ENTRY]], **detail},
            message=f"運用管理画面 {label}（{page}）",
        )
        for member in protected_members(self.members_shown(rows)):
            record(
                actor=request.user, action="protected.viewed", institution=member.insurer, target=member,
                message=f"運用管理画面 {label}（{page}）",
            )


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """For everything the operator may read but never write."""


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "institution", "action", "target_repr", "request_id")
    list_filter = ("action", "institution")
    search_fields = ("actor_name", "target_repr", "message")

    def members_shown(self, objects):
        return {int(e.target_id) for e in objects if e.target_type == "members.Member" and e.target_id.isdigit()}
