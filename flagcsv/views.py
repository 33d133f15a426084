"""CSV output and import of the insurer's settings (renewal ③, 別紙2 §4). 責任者 only."""

import logging
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from audit.services import record
from flagcsv.export import CsvExport, Encoding, settings_for_export
from flagcsv.forms import ConfirmImportForm, ExportForm, ImportForm
from flagcsv.importer import MAX_BYTES, FileRefused, StagedFile, run_import

logger = logging.getLogger(__name__)


def _require_supervisor(user) -> None:
    # Role checked here, not by hiding links: 担当者 and 監査者 get 403.
    if not (getattr(user, "is_insurer_staff", False) and user.is_supervisor):
        raise PermissionDenied("設定状況のCSV出力・取込は責任者のみが行えます。")


def _filter_summary(data: dict) -> dict:
    return {"kind": data.get("kind") or "", "state": data.get("state") or "", "encoding": data["encoding"]}


def _measure(user, data: dict) -> CsvExport | int:
    """Row count, and for cp932 the rows whose characters will be replaced (a full pass, discarding the bytes).
    Only for the pre-export page: the download itself never counts first."""
    qs = settings_for_export(user, kind=data["kind"], state=data["state"])
    if data["encoding"] == Encoding.CP932:
        return CsvExport(qs, Encoding.CP932, note=False).drain()
    return qs.count()


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    """The pre-export page: choose filters and encoding, see how many rows and which rows cp932 will change."""
    _require_supervisor(request.user)
    form = ExportForm(request.GET if "encoding" in request.GET else None)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        measured = _measure(request.user, data)
        scan = measured if isinstance(measured, CsvExport) else None
        context.update(
            checked=True,
            rows=scan.rows if scan else measured,
            scan=scan,
            is_cp932=data["encoding"] == Encoding.CP932,
        )
        if scan and scan.replaced_count:
            # The page shows the affected rows' names in full: audited like any view of member data.
            record(
                actor=request.user,
                action="settings_csv.checked",
                after={**_filter_summary(data), "rows": scan.rows, "replaced_rows": scan.replaced_count},
                message=f"設定状況CSV出力の事前確認（cp932で置き換わる行 {scan.replaced_count}行を表示）",
            )
    return render(request, "flagcsv/export.html", context)


@login_required
@require_POST
def download(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request.user)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return render(request, "flagcsv/export.html", {"form": form}, status=400)
    return streamed_download(request.user, form.cleaned_data)


def streamed_download(user, data: dict) -> StreamingHttpResponse:
    """The audited, streamed settings CSV for validated ExportForm data; the console and the API both answer with it.

    No count before the first byte: the start is audited (committed before anything is sent, so even a download
    cut short is on record), and when the stream ends a second entry gives the rows written, the rows cp932
    replaced, and whether the file was complete."""
    summary = _filter_summary(data)
    encoding_label = dict(Encoding.CHOICES)[data["encoding"]]
    record(actor=user, action="settings_csv.export_started", after=summary,
           message=f"設定状況CSV出力を開始（{encoding_label}）")
    export = CsvExport(settings_for_export(user, kind=data["kind"], state=data["state"]), data["encoding"])
    response = StreamingHttpResponse(
        _audited(export, user, summary, encoding_label),
        content_type=f"text/csv; charset={Encoding.CHARSET[data['encoding']]}",
    )
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    filename = f"settings_{user.institution.insurer_number}_{stamp}_{Encoding.FILE_SUFFIX[data['encoding']]}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"  # protected persons' data: not for shared caches or the back button
    return response


def _audited(export: CsvExport, user, summary: dict, encoding_label: str) -> Iterator[bytes]:
    """The file's pieces; the closing audit entry is written however the stream ends (done, client gone, error)."""
    try:
        yield from export.chunks()
    finally:
        replaced_lines = [r.line for r in export.replaced]
        message = f"設定状況CSV出力: {export.rows}行（{encoding_label}）"
        if export.replaced_count:
            message += f"、〓に置き換えた行 {export.replaced_count}行"
        if not export.complete:
            message += "。途中で終了しました（ファイルは不完全）"
        try:
            record(
                actor=user,
                action="settings_csv.exported",
                after={**summary, "rows": export.rows, "complete": export.complete,
                       "replaced_rows": export.replaced_count, "replaced_lines": replaced_lines[:200]},
                message=message,
            )
        except Exception:
            # The start entry is already committed; a broken connection must not hide why the stream stopped.
            logger.exception("settings CSV: the closing audit entry could not be written")
            if export.complete:
                raise


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    file_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = StagedFile.from_upload(data=upload.read(MAX_BYTES + 1), filename=upload.name)
        except FileRefused as e:
            file_errors = e.messages
        else:
            staged.to_session(request.session, institution_id=request.user.institution_id)
            return redirect("flagcsv:import_preview")
    status = 400 if request.method == "POST" else 200
    return render(request, "flagcsv/import.html", {"form": form, "file_errors": file_errors}, status=status)


def _staged_or_none(request: HttpRequest) -> StagedFile | None:
    return StagedFile.from_session(request.session, institution_id=request.user.institution_id)


@login_required
def import_preview(request: HttpRequest) -> HttpResponse:
    """Dry run: every row checked and carried out through the services, then rolled back."""
    _require_supervisor(request.user)
    staged = _staged_or_none(request)
    if staged is None:
        messages.error(request, "確認する取込ファイルがありません。もう一度ファイルを選んでください。")
        return redirect("flagcsv:import")
    report = run_import(actor=request.user, staged=staged, dry_run=True)
    confirm = ConfirmImportForm(initial={"sha256": staged.sha256})
    return render(request, "flagcsv/import_preview.html", {"staged": staged, "report": report, "confirm": confirm})


@login_required
@require_POST
def import_apply(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request.user)
    staged = _staged_or_none(request)
    if staged is None:
        messages.error(request, "取込むファイルがありません（取込済みか、有効期限が切れました）。もう一度ファイルを選んでください。")
        return redirect("flagcsv:import")
    confirm = ConfirmImportForm(request.POST)
    if not confirm.is_valid() or confirm.cleaned_data["sha256"] != staged.sha256:
        messages.error(request, "確認したファイルと取込むファイルが異なります。内容をもう一度確認してください。")
        return redirect("flagcsv:import_preview")
    report = run_import(actor=request.user, staged=staged, dry_run=False)
    if report.applied:
        StagedFile.discard(request.session)
        summary = report.summary()
        messages.success(
            request,
            f"取り込みました: 設定の追加 {summary['added']}件、解除依頼 {summary['clearing_requests']}件、"
            f"変更なし {summary['unchanged']}件（解除依頼は別の責任者の承認後に解除されます）。",
        )
        return redirect("flagcsv:import")
    context = {"staged": staged, "report": report, "confirm": ConfirmImportForm(initial={"sha256": staged.sha256}),
               "refused": True}
    return render(request, "flagcsv/import_preview.html", context, status=400)


@login_required
@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    _require_supervisor(request.user)
    StagedFile.discard(request.session)
    messages.info(request, "取込を取り消しました。")
    return redirect("flagcsv:import")
