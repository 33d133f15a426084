"""Cursor pagination for the large lists: no totals (a count could reveal hidden rows), stable under inserts."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-id",)


class ExchangeCursor(NewestFirstCursor):
    ordering = ("-inquired_at", "-id")


class AuditCursor(NewestFirstCursor):
    ordering = ("-at", "-id")


class MemberCursor(NewestFirstCursor):
    ordering = ("branch_number", "id")


class SettingCursor(NewestFirstCursor):
    ordering = ("-set_at", "-id")


class ClearingCursor(NewestFirstCursor):
    ordering = ("-requested_at", "-id")


class CaseCursor(NewestFirstCursor):
    ordering = ("-opened_at", "-id")


class AppendCursor(NewestFirstCursor):
    ordering = ("-requested_at", "-id")
