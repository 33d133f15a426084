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

from flagcsv.columns import (
    COLUMNS,
    FIELD_NAMES,
    SCOPE_WHOLE,
    format_datetime,
    guard_formula,
)
from flagcsv.rows import ADD, RowChecker, RowInvalid, RowOutcome, carry_out
from flags.models import Setting

LINE_COLUMN = "行番号"  # the row's number in the uploaded file, carried alongside the cells


def _field(name: str) -> fields.Field:
    return fields.Field(attribute=None, column_name=COLUMNS[FIELD_NAMES.index(name)], readonly=True)


class SettingResource(resources.ModelResource):
    insurer_number = _field("insurer_number")
    branch_number = _field("branch_number")
    name = _field("name")
    scope = _field("scope")
    kind = _field("kind")
    set_at = _field("set_at")
    set_by = _field("set_by")
    reason = _field("reason")
    state = _field("state")
    cleared_at = _field("cleared_at")
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

    # --- export (cells equal to flagcsv.export.row_cells) ---
    def dehydrate_insurer_number(self, s: Setting) -> str:
        return s.institution.insurer_number

    def dehydrate_branch_number(self, s: Setting) -> str:
        return s.member.branch_number if s.member_id else ""

    def dehydrate_name(self, s: Setting) -> str:
        return guard_formula(s.member.name) if s.member_id else ""

    def dehydrate_scope(self, s: Setting) -> str:
        return s.item.name if s.item_id else SCOPE_WHOLE

    def dehydrate_kind(self, s: Setting) -> str:
        return s.get_kind_display()

    def dehydrate_set_at(self, s: Setting) -> str:
        return format_datetime(s.set_at)

    def dehydrate_set_by(self, s: Setting) -> str:
        return guard_formula(s.set_by_name)

    def dehydrate_reason(self, s: Setting) -> str:
        return guard_formula(s.reason)

    def dehydrate_state(self, s: Setting) -> str:
        return s.state_label

    def dehydrate_cleared_at(self, s: Setting) -> str:
        return format_datetime(s.cleared_at)

    def dehydrate_cleared_by(self, s: Setting) -> str:
        return guard_formula(s.cleared_by_name) if s.cleared_at else ""

    def dehydrate_clear_reason(self, s: Setting) -> str:
        return guard_formula(s.clear_reason) if s.cleared_at else ""

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
            row_result.import_type = RowResult.IMPORT_TYPE_NEW if plan.action == ADD else RowResult.IMPORT_TYPE_UPDATE
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
