"""Cursor pagination for the large lists: no totals (a count could reveal hidden rows), stable under inserts."""

import datetime
import uuid
from base64 import b64decode, b64encode

from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from exchanges.selectors import two_sided_page


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


class TwoSidedExchangeCursor(BasePagination):
    """Newest-first keyset pages of the insurer's exchange records, each side read by its own time index
    (exchanges.selectors.two_sided_page) instead of sorting the OR of both sides: the same shape as the cursor
    pages (`next`, `previous`, `results`); `previous` is always null (walk back by keeping the earlier cursors)."""

    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    cursor_query_description = CursorPagination.cursor_query_description
    page_size_query_param = "page_size"
    page_size_query_description = CursorPagination.page_size_query_description

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self._page_size(request)
        before = self._decode(request.query_params.get(self.cursor_query_param, ""))
        rows, more = two_sided_page(
            queryset, institution_id=request.user.institution_id, limit=self.page_size, before=before
        )
        self.next_position = (rows[-1].inquired_at, rows[-1].id) if more and rows else None
        return rows

    def _page_size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except ValueError:
            return self.page_size
        return min(max(size, 1), self.max_page_size)

    @staticmethod
    def _decode(cursor: str):
        """An opaque cursor from the URL; anything malformed starts from the newest (it only narrows our records)."""
        try:
            at, record_id = b64decode(cursor.encode("ascii"), validate=True).decode("ascii").split("|", 1)
            return datetime.datetime.fromisoformat(at), uuid.UUID(record_id)
        except (ValueError, UnicodeError):
            return None

    def get_next_link(self) -> str | None:
        if self.next_position is None:
            return None
        at, record_id = self.next_position
        token = b64encode(f"{at.isoformat()}|{record_id}".encode("ascii")).decode("ascii")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, token)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": None, "results": data})

    def get_paginated_response_schema(self, schema):
        return CursorPagination().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view):
        return CursorPagination.get_schema_operation_parameters(self, view)
