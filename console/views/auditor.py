"""監査者: the audit trail, filterable, in keyset pages, and as a CSV of the same filter; the weekly digest of accesses
to protected persons (閲覧記録), page and CSV. Reading and downloading each is itself audited."""

import csv
import datetime
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from console import audit_display, selectors
from console.access import AUDITORS, console_view
from console.forms import AuditFilterForm
from console.services import record_audit_read
from console.templatetags.jdates import WAREKI, format_date
from flagcsv.columns import guard_formula
from flags import access_digest as digests


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, dict | None]:
    """The filter form and its cleaned values; None when the form has errors (then nothing is listed)."""
    form = AuditFilterForm(request.GET or None, actions=selectors.audit_action_choices(request.user))
    if not form.is_bound:
        return form, {}
    if not form.is_valid():
        return form, None
    return form, {k: v for k, v in form.cleaned_data.items() if v}


@console_view(read=AUDITORS)
def audit_trail(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        page = selectors.AuditPage([], None)
    else:
        page = selectors.audit_trail_page(request.user, cursor=request.GET.get("before", ""), **filters)
    rows = [audit_display.trail_row(e, style=request.user.date_style) for e in page.object_list]
    record_audit_read(
        actor=request.user, action="audit.trail_viewed",
        filters={k: str(v) for k, v in (filters or {}).items()}, count=len(rows),
    )
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "console/audit_trail.html", {
        "form": form, "rows": rows, "page": page, "query": query.urlencode(),
        "paged": bool(request.GET.get("before")),
    })


CSV_HEADER = [
    "日時", "日時（和暦）", "実行者", "操作", "操作コード", "対象種別", "対象", "対象ID", "理由・内容", "変更前", "変更後",
    "リクエストID",
]


def _cell(value) -> str:
    """A text cell Excel will not run as a formula: the settings CSV's guard (flagcsv.columns), shared."""
    return guard_formula("" if value is None else str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(entries) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff"  # BOM: Excel opens UTF-8 as UTF-8
    yield writer.writerow(CSV_HEADER)
    for entry in entries:
        row = audit_display.trail_row(entry, style=WAREKI)
        at = timezone.localtime(entry.at)
        yield writer.writerow([_cell(v) for v in (
            at.isoformat(timespec="seconds"), format_date(at, style=WAREKI, precision="second"), row.actor,
            row.action, entry.action, row.target_kind, row.target_text, entry.target_id, entry.message, row.before,
            row.after, entry.request_id,
        )])


@console_view(read=AUDITORS)
def audit_trail_csv(request: HttpRequest) -> HttpResponse:
    """The filtered trail as CSV (UTF-8 with BOM), streamed newest first; the download is audited before it starts."""
    form, filters = _filters(request)
    if filters is None:
        return render(request, "console/audit_trail.html", {
            "form": form, "rows": [], "page": selectors.AuditPage([], None), "query": "",
        }, status=400)
    entries = selectors.audit_entries(request.user, **filters).iterator(chunk_size=2000)
    record_audit_read(
        actor=request.user, action="audit.trail_exported",
        filters={k: str(v) for k, v in filters.items()}, count=None,
    )
    response = StreamingHttpResponse(_csv_lines(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


# 閲覧記録（週次）: every access to a protected person in a chosen week (issue 17 point 6).

DIGEST_CSV_HEADER = ["週", "設定対象者 枝番", "設定対象者 氏名", "職員", "担当", "回数", "最初", "最後", "何を", "理由"]


def _week(request: HttpRequest):
    """The chosen day (?week=YYYY-MM-DD, any day of the week); today by default; None when it is not a date."""
    text = (request.GET.get("week") or "").strip()
    if not text:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


@console_view(read=AUDITORS)
def access_digest(request: HttpRequest) -> HttpResponse:
    """The auditor's weekly digest: by person and staff member, accesses by staff who were not 担当 first.
    Reading it is audited."""
    day = _week(request)
    if day is None:
        return render(request, "console/access_digest.html", {
            "error": "週は YYYY-MM-DD の形式の日付で指定してください。", "digest": None, "week": request.GET.get("week"),
        }, status=400)
    digest = digests.weekly_digest(request.user, day=day)
    digests.record_digest_read(actor=request.user, monday=digest.monday, rows=len(digest.rows), channel="画面")
    return render(request, "console/access_digest.html", {
        "digest": digest, "week": digest.monday.isoformat(),
        "previous": (digest.monday - datetime.timedelta(days=7)).isoformat(),
        "next": (digest.monday + datetime.timedelta(days=7)).isoformat(),
    })


@console_view(read=AUDITORS)
def access_digest_csv(request: HttpRequest) -> HttpResponse:
    day = _week(request)
    if day is None:
        return render(request, "console/access_digest.html", {
            "error": "週は YYYY-MM-DD の形式の日付で指定してください。", "digest": None, "week": request.GET.get("week"),
        }, status=400)
    digest = digests.weekly_digest(request.user, day=day)
    digests.record_digest_read(actor=request.user, monday=digest.monday, rows=len(digest.rows), channel="CSV")
    writer_target = _Echo()
    writer = csv.writer(writer_target, lineterminator="\r\n")
    lines = ["\ufeff", writer.writerow(DIGEST_CSV_HEADER)]
    for row in digest.rows:
        lines.append(writer.writerow([_cell(v) for v in (
            digest.monday.isoformat(), row.member.branch_number if row.member else "",
            row.member.name if row.member else "", row.actor_name, "担当" if row.in_charge else "担当外", row.count,
            timezone.localtime(row.first_at).isoformat(timespec="seconds"),
            timezone.localtime(row.last_at).isoformat(timespec="seconds"),
            "／".join(row.channels), "／".join(row.reasons),
        )]))
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-digest-{digest.monday:%Y%m%d}.csv"'
    return response
