"""Staff provenance (issue 18 ①): who asked for each account, and how it came to exist.

Filled from what the database already knows: an account made by approving a new-account RoleGrantRequest was asked
for by that request's requester; an account whose creation the audit trail recorded (`staff.created` from the
console, `sim.staff.created` from the simulation API) was made by that entry's actor. The rest stays 不明.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill(apps, schema_editor):
    Staff = apps.get_model("institutions", "Staff")
    RoleGrantRequest = apps.get_model("institutions", "RoleGrantRequest")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    granted = dict(
        RoleGrantRequest.objects.filter(is_new_account=True, state="approved", staff__isnull=False)
        .values_list("staff_id", "requested_by_id")
    )
    audited = {
        (entry["target_id"], entry["action"]): entry["actor_id"]
        for entry in AuditEntry.objects.filter(
            action__in=("staff.created", "sim.staff.created"), target_type="institutions.Staff"
        ).values("target_id", "action", "actor_id")
    }
    for staff in Staff.objects.all().only("pk"):
        if staff.pk in granted:
            by, via = granted[staff.pk], "role_grant"
        elif (str(staff.pk), "staff.created") in audited:
            by, via = audited[(str(staff.pk), "staff.created")], "console"
        elif (str(staff.pk), "sim.staff.created") in audited:
            by, via = None, "sim"
        else:
            continue
        Staff.objects.filter(pk=staff.pk).update(created_by_id=by, created_via=via)


class Migration(migrations.Migration):
    dependencies = [
        ("institutions", "0003_staff_date_style"),
        ("audit", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="staff",
            name="created_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="登録を依頼した職員"),
        ),
        migrations.AddField(
            model_name="staff",
            name="created_via",
            field=models.CharField(
                choices=[("console", "責任者が登録（画面）"), ("role_grant", "役割付与の依頼を承認して登録"),
                         ("command", "運用者が登録（管理コマンド）"), ("demo", "デモデータ"),
                         ("sim", "シミュレーションAPI"), ("unknown", "不明（記録の開始前）")],
                default="unknown", max_length=20, verbose_name="登録の経緯"),
        ),
        migrations.AlterField(
            model_name="rolegrantrequest",
            name="decided_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="承認者"),
        ),
        migrations.AlterField(
            model_name="rolegrantrequest",
            name="decided_by_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="承認者名"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
