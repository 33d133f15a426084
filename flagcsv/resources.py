"""django-import-export resource for the settings file: its columns (admin export) and its import.

The console's download does not use Resource.export() (it builds the whole file in memory); it streams with
flagcsv.export, whose row_cells() writes the same cells (tests/flagcsv/test_resource.py holds them equal).

Import: each row is checked (flagcsv.rows) and carried out through flags.services inside import-export's
transaction. A dry run therefore runs the very same checks and services, then rolls everything back.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources
from import_export.results import RowResult

from flagcsv.columns import COLUMNS, FIELD_NAMES
from flagcsv.export import row_cells
from flagcsv.rows import ADD, UNCHANGED, RowChecker, RowInvalid, RowOutcome, carry_out
from flags.models import Setting

LINE_COLUMN = "行番号"  # the row's number in the uploaded file, carried alongside the cells


def _field(name: str) -> fields.Field:
    return fields.Field(attribute=None, column_name=COLUMNS[FIELD_NAMES.index(name)], readonly=True)


def _cells(s: Setting) -> list[str]:
    cached = getattr(s, "_flagcsv_cells", None)
    if cached is None:
        member = s.member
        cached = s._flagcsv_cells = row_cells({
            "insurer_number": s.institution.insurer_number,
            "branch_number": member.branch_number if member else "",
            "symbol_number": member.symbol_number if member else "",
            "member_name": member.name if member else "",
            "item_name": s.item.name if s.item_id else None,
            "kind": s.kind, "set_at": s.set_at, "set_by_name": s.set_by_name, "reason": s.reason,
            "cleared_at": s.cleared_at, "cleared_by_name": s.cleared_by_name, "clear_reason": s.clear_reason,
        })
    return cached


class SettingResource(resources.ModelResource):
    insurer_number = _field("insurer_number")
    branch_number = _field("branch_number")
    symbol_number = _field("symbol_number")
    name = _field("name")
    scope = _field("scope")
    kind = _field("kind")
    set_at = _field("set_at")
    set_on_wareki = _field("set_on_wareki")
    set_by = _field("set_by")
    reason = _field("reason")
    state = _field("state")
    cleared_at = _field("cleared_at")
    cleared_on_wareki = _field("cleared_on_wareki")
    cleared_by = _field("cleared_by")
    clear_reason = _field("clear_reason")

    class Meta:
        model = Setting
        fields = FIELD_NAMES
        export_order = FIELD_NAMES
        skip_diff = True
        use_transactions = True
        name = "不開示該当フラグ等の設定（CSV）"

    def __init__(self, *, actor=None, **kwargs):
        super().__init__(**kwargs)
        self.actor = actor
        self.outcomes: list[RowOutcome] = []
        self.checker: RowChecker | None = None

    # --- export: the cells of flagcsv.export.row_cells, so the admin's file equals the console's ---
    def export_field(self, field, instance, **kwargs):
        return _cells(instance)[COLUMNS.index(field.column_name)]

    # --- import ---
    def before_import(self, dataset, **kwargs):
        rows = [(int(r[LINE_COLUMN]), r) for r in dataset.dict]
        self.checker = RowChecker(actor=self.actor, rows=rows)
        self.outcomes = []

    def import_row(self, row, instance_loader, **kwargs):
        """Check the row, then carry it out through flags.services; a failing row leaves nothing behind."""
        if not kwargs.get("using_transactions"):
            # A dry run carries rows out through the services: only safe when it is rolled back.
            raise RuntimeError("settings import needs transactions")
        line = int(row[LINE_COLUMN])
        cells = {column: row[column] for column in COLUMNS}
        row_result = self.get_row_result_class()()
        outcome = RowOutcome(line=line, cells=cells)
        try:
            plan = self.checker.plan(line, cells)
            with transaction.atomic():
                carry_out(actor=self.actor, plan=plan)
            outcome.plan = plan
            row_result.import_type = {ADD: RowResult.IMPORT_TYPE_NEW, UNCHANGED: RowResult.IMPORT_TYPE_SKIP}.get(
                plan.action, RowResult.IMPORT_TYPE_UPDATE)
        except RowInvalid as e:
            outcome.errors = e.messages
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = ValidationError(e.messages)
        self.outcomes.append(outcome)
        return row_result

    def after_import(self, dataset, result, **kwargs):
        # ModelResource resets the table's id sequence here (setval to max(id)); under concurrent inserts that can
        # hand out an id twice, and the services never set ids by hand, so there is nothing to reset.
        return None
