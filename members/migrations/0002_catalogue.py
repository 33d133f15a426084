"""The 特定個人情報 and 事務 catalogues every database starts with."""

from django.db import migrations

from members.catalogue import ensure_catalogue


def forward(apps, schema_editor):
    ensure_catalogue(apps.get_model("members", "InfoItem"), apps.get_model("members", "Procedure"))


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
