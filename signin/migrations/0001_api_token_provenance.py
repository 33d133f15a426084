"""API token provenance (issue 18 ③): who made each knox token and how."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def fill(apps, schema_editor):
    """Every token made before provenance was recorded came from create_api_token or /api/sim/, both with no actor:
    they count as the operator's (they decide nothing and stop authenticating 責任者・監査者)."""
    AuthToken = apps.get_model("knox", "AuthToken")
    Provenance = apps.get_model("signin", "ApiTokenProvenance")
    Provenance.objects.bulk_create(
        [Provenance(token_id=digest, made_via="command", made_at=created)
         for digest, created in AuthToken.objects.values_list("digest", "created")],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('knox', '0009_extend_authtoken_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiTokenProvenance',
            fields=[
                ('token', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='provenance', serialize=False, to='knox.authtoken', verbose_name='APIトークン')),
                ('made_via', models.CharField(choices=[('console', '本人がコンソールで発行（二要素認証の後）'), ('command', '運用者が管理コマンドで発行'), ('sim', 'シミュレーションAPI')], max_length=20, verbose_name='発行経路')),
                ('made_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='発行日時')),
                ('made_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='発行した人')),
            ],
            options={
                'verbose_name': 'APIトークンの発行記録',
                'verbose_name_plural': 'APIトークンの発行記録',
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
