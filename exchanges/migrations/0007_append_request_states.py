"""追記依頼 becomes a request NWS processes later (依頼中 → 処理済 / 差戻し). Requests filed before were applied at
once: they are 処理済."""

from django.conf import settings
from django.db import migrations, models


def earlier_requests_were_processed(apps, schema_editor):
    AppendRequest = apps.get_model("exchanges", "AppendRequest")
    AppendRequest.objects.filter(processed_at__isnull=False).update(status="processed")


class Migration(migrations.Migration):

    dependencies = [
        ('exchanges', '0006_drop_fk_indexes_led_by_composites'),
        ('institutions', '0002_role_grant_requests'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='appendrequest',
            name='rejection_reason',
            field=models.TextField(blank=True, verbose_name='差戻し理由（NWS）'),
        ),
        migrations.AddField(
            model_name='appendrequest',
            name='status',
            field=models.CharField(choices=[('pending', '依頼中'), ('processed', '処理済'), ('rejected', '差戻し')], default='pending', max_length=10, verbose_name='状態'),
        ),
        migrations.RunPython(earlier_requests_were_processed, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='appendrequest',
            name='processed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='NWS処理日時'),
        ),
        migrations.AddIndex(
            model_name='appendrequest',
            index=models.Index(fields=['status', 'requested_at'], name='append_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='appendrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['pending', 'processed'])), fields=('record', 'institution'), name='append_one_live_per_record'),
        ),
    ]
