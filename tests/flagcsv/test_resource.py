"""The django-import-export resource: same columns and cells as the streamed file; the operator's admin export is
read-only and audited."""

from django.contrib import admin
from django.urls import reverse

from audit.models import AuditEntry
from flagcsv.columns import COLUMNS, FIELD_NAMES
from flagcsv.export import CsvExport, settings_for_export
from flagcsv.resources import SettingResource
from flags.models import Setting
from institutions.models import Staff
from tests.flagcsv.helpers import parse


def test_resource_columns_and_cells_equal_the_streamed_file(sam, settings_world):
    qs = Setting.objects.filter(institution=sam.institution).order_by("member__branch_number", "set_at", "id")
    dataset = SettingResource().export(queryset=qs)
    assert list(dataset.headers) == list(COLUMNS)
    streamed = parse(b"".join(CsvExport(settings_for_export(sam), "utf-8-sig").chunks()), "utf-8-sig")
    assert [list(r) for r in dataset] == streamed[1:]


def test_admin_stays_read_only_and_its_export_is_audited(client, db, settings_world, rf):
    operator = Staff.objects.create_superuser(username="ops", password="ops-pw-12345")
    model_admin = admin.site._registry[Setting]
    request = rf.get("/")
    request.user = operator
    assert not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
                or model_admin.has_delete_permission(request))
    client.force_login(operator)
    url = reverse("admin:flags_setting_export")
    response = client.post(url, {"format": "0", "resource": "0",
                                 **{f"settingresource_{n}": "on" for n in FIELD_NAMES}})
    assert response.status_code == 200, response.content[:500]
    rows = parse(response.content, "utf-8-sig")
    assert rows[0] == list(COLUMNS) and len(rows) == 1 + Setting.objects.count()
    entry = AuditEntry.objects.get(action="settings_csv.exported_admin")
    assert entry.actor == operator and entry.after["rows"] == Setting.objects.count()


def test_admin_export_is_for_the_operator_only(client, sam):
    sam.is_staff = True
    sam.save()
    client.force_login(sam)
    assert client.get(reverse("admin:flags_setting_export")).status_code in (302, 403)


def test_flags_admin_does_not_import_flagcsv_and_the_export_is_registered_by_flagcsv():
    """Arrows point down: flags/admin.py knows nothing of the settings file; flagcsv adds the export to it."""
    import ast
    import pathlib

    from django.contrib import admin

    from flagcsv.admin import SettingExportAdmin
    from flags.models import Setting

    source = (pathlib.Path(__file__).resolve().parents[2] / "flags" / "admin.py").read_text()
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.split(".")[0] in ("flagcsv", "import_export") for m in imported)
    assert isinstance(admin.site._registry[Setting], SettingExportAdmin)
