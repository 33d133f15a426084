"""Import of a settings file by a 責任者: decode, check the header, dry run, then apply all or nothing.

Between the preview and the apply the file is kept in the importer's session, as decoded text with its SHA-256
and size-limited (MAX_BYTES) and valid for an hour (MAX_AGE): no file on disk to clean up or leak, it dies with the session (logout), and the
confirm form must send back the hash of the file that was previewed, so a different upload in another tab is
never applied by mistake. At apply everything is checked again against the database as it is then.
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field

import tablib
from django.db import transaction
from django.utils import timezone

from audit.services import record
from flagcsv.columns import COLUMNS, LEGACY_COLUMNS, NOTE_MARK
from flagcsv.resources import LINE_COLUMN, SettingResource
from flagcsv.rows import ADD, REQUEST_CLEARING, UNCHANGED, RowOutcome

MAX_BYTES = 2 * 1024 * 1024
MAX_AGE = datetime.timedelta(hours=1)  # a staged file older than this must be uploaded and checked again
MAX_ROWS = 20_000
MAX_ERRORS = 100  # file-level errors listed; the rest are summarised
SESSION_KEY = "flagcsv_import"


class FileRefused(Exception):
    """The whole file is refused before any row is looked at."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def decode_upload(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then cp932 (what Japanese Excel writes)."""
    if len(data) > MAX_BYTES:
        raise FileRefused([f"ファイルが大きすぎます（上限 {MAX_BYTES // (1024 * 1024)}MB）。"])
    if not data.strip():
        raise FileRefused(["ファイルが空です。"])
    if b"\x00" in data:  # UTF-16 ("Unicode テキスト") or a binary file such as .xlsx
        raise FileRefused(["CSV（UTF-8 または Shift_JIS）ではありません。Excelでは「CSV（コンマ区切り）」で保存してください。"])
    for encoding, label in (("utf-8-sig", "UTF-8"), ("cp932", "Shift_JIS（cp932）")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise FileRefused(["文字コードを判別できません。UTF-8 または Shift_JIS（cp932）で保存したCSVを選んでください。"])


# Control characters (C0, DEL, C1) are refused in every cell; line breaks and tabs only inside the two free-text
# reasons (a textarea may hold them, and our export writes them back quoted).
MULTILINE_COLUMNS = ("理由", "解除理由")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_errors(number: int, header: tuple[str, ...], cells: list[str]) -> list[str]:
    errors = []
    for i, cell in enumerate(cells):
        column = header[i] if i < len(header) else f"{i + 1}列目"
        pattern = _CONTROL_IN_TEXT if column in MULTILINE_COLUMNS else _CONTROL
        found = pattern.search(cell)
        if found:
            errors.append(
                f"{number}行目「{column}」: 制御文字（U+{ord(found.group()):04X}）は使えません。文字を確かめてください。"
            )
    return errors


def parse_rows(text: str) -> list[tuple[int, list[str]]]:
    """(row number, cells in COLUMNS order) of every data row; the header is row 1. Blank rows and note rows (※)
    are skipped. A file in the older layout (without 記号・番号 and the 和暦 columns) is read too."""
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise FileRefused([f"CSVとして読み取れません（{e}）。"]) from None
    if not records:
        raise FileRefused(["ファイルが空です。"])
    header = tuple(c.strip() for c in records[0])
    if header not in (COLUMNS, LEGACY_COLUMNS):
        raise FileRefused(
            [
                "1行目（見出し）が正しくありません。",
                f"必要な見出し: {','.join(COLUMNS)}",
                f"ファイルの見出し: {','.join(header)}"[:500],
            ]
        )
    rows: list[tuple[int, list[str]]] = []
    errors: list[str] = []
    for number, cells in enumerate(records[1:], start=2):
        # Control characters are refused in every row, the skipped ones included.
        errors.extend(_control_errors(number, header, cells))
        if not any(c.strip() for c in cells):
            continue
        if cells[0].strip().startswith(NOTE_MARK):
            continue
        if len(cells) != len(header):
            errors.append(f"{number}行目: 列の数が正しくありません（{len(header)}列必要ですが{len(cells)}列あります）。")
            continue
        by_name = dict(zip(header, cells, strict=True))
        rows.append((number, [by_name.get(column, "") for column in COLUMNS]))
        if len(errors) > MAX_ERRORS:
            break
    if errors:
        raise FileRefused(errors[:MAX_ERRORS] + (["（以降の誤りは省略しました）"] if len(errors) > MAX_ERRORS else []))
    if not rows:
        raise FileRefused(["取り込む行がありません。"])
    if len(rows) > MAX_ROWS:
        raise FileRefused([f"行が多すぎます（上限 {MAX_ROWS}行）。ファイルを分けてください。"])
    return rows


@dataclass
class StagedFile:
    text: str
    sha256: str
    filename: str
    encoding: str
    size: int

    @classmethod
    def from_upload(cls, *, data: bytes, filename: str) -> "StagedFile":
        text, encoding = decode_upload(data)
        return cls(text=text, sha256=text_hash(text), filename=filename[:200], encoding=encoding, size=len(data))

    def to_session(self, session, *, institution_id: int) -> None:
        session[SESSION_KEY] = {
            "text": self.text, "sha256": self.sha256, "filename": self.filename, "encoding": self.encoding,
            "size": self.size, "institution_id": institution_id, "uploaded_at": timezone.now().isoformat(),
        }

    @classmethod
    def from_session(cls, session, *, institution_id: int) -> "StagedFile | None":
        data = session.get(SESSION_KEY)
        if not data or data.get("institution_id") != institution_id:
            return None
        uploaded_at = datetime.datetime.fromisoformat(data["uploaded_at"])
        if timezone.now() - uploaded_at > MAX_AGE:
            session.pop(SESSION_KEY, None)
            return None
        staged = cls(
            text=data["text"], sha256=data["sha256"], filename=data["filename"], encoding=data["encoding"],
            size=data["size"],
        )
        if text_hash(staged.text) != staged.sha256:  # tampered or corrupted: refuse rather than guess
            return None
        return staged

    @staticmethod
    def discard(session) -> None:
        session.pop(SESSION_KEY, None)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ImportReport:
    file_errors: list[str] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.outcomes) and all(not o.errors for o in self.outcomes)

    @property
    def error_rows(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.errors]

    @property
    def additions(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.plan and o.plan.action == ADD]

    @property
    def clearing_requests(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.plan and o.plan.action == REQUEST_CLEARING]

    @property
    def unchanged(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.plan and o.plan.action == UNCHANGED]

    @property
    def changes(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.plan and o.plan.action != UNCHANGED]

    def summary(self) -> dict:
        return {
            "rows": len(self.outcomes),
            "added": len(self.additions),
            "clearing_requests": len(self.clearing_requests),
            "unchanged": len(self.unchanged),
            "error_rows": [o.line for o in self.error_rows][:200],
        }


def run_import(*, actor, staged: StagedFile, dry_run: bool) -> ImportReport:
    """Dry run (everything carried out, then rolled back) or apply (all rows, or none)."""
    report = ImportReport()
    try:
        rows = parse_rows(staged.text)
    except FileRefused as e:
        report.file_errors = e.messages
    if report.file_errors:
        if not dry_run:
            _record_refusal(actor, staged, report)
        return report

    dataset = tablib.Dataset(headers=[LINE_COLUMN, *COLUMNS])
    for number, cells in rows:
        dataset.append([number, *cells])
    resource = SettingResource(actor=actor)
    with transaction.atomic():
        # Our own savepoint around import-export's transaction: whatever the library decides, a dry run or a
        # file with any bad row leaves nothing behind.
        savepoint = transaction.savepoint()
        result = resource.import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
        )
        report.outcomes = resource.outcomes
        if result.has_errors():
            report.file_errors = ["取込処理でエラーが発生しました。何も登録していません。"]
        if dry_run or not report.ok:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
            report.applied = True
            summary = report.summary()
            record(
                actor=actor,
                action="settings_csv.imported",
                after={**summary, "filename": staged.filename, "encoding": staged.encoding, "sha256": staged.sha256},
                message=f"設定状況CSV取込: 設定追加{summary['added']}件、解除依頼{summary['clearing_requests']}件、"
                        f"変更なし{summary['unchanged']}件",
            )
    if not dry_run and not report.applied:
        _record_refusal(actor, staged, report)
    return report


def _record_refusal(actor, staged: StagedFile, report: ImportReport) -> None:
    summary = report.summary()
    record(
        actor=actor,
        action="settings_csv.import_refused",
        after={**summary, "file_errors": report.file_errors, "filename": staged.filename, "sha256": staged.sha256},
        message=f"設定状況CSV取込を中止（誤りのある行 {len(report.error_rows)}行）。何も登録していません。",
    )
