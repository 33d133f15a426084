"""Code sources 完了時自動設定 (別紙1 ※2) and 要注意照会対象, with the case that named the subject."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exchanges', '0004_nondisclosure_triggers'),
        ('flags', '0006_linked_persons'),
    ]

    operations = [
        migrations.AddField(
            model_name='exchangerecord',
            name='inquiry_code_case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='flags.protectioncase', verbose_name='照会時コードの根拠（設定対象者）'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='inquiry_code_source',
            field=models.CharField(blank=True, choices=[('', 'なし'), ('auto', '自動設定'), ('manual', '手動設定'), ('completion', '完了時自動設定'), ('linked', '要注意照会対象')], default='', max_length=10, verbose_name='照会時コード設定'),
        ),
        migrations.AlterField(
            model_name='exchangerecord',
            name='provision_code_source',
            field=models.CharField(blank=True, choices=[('', 'なし'), ('auto', '自動設定'), ('manual', '手動設定'), ('completion', '完了時自動設定'), ('linked', '要注意照会対象')], default='', max_length=10, verbose_name='提供時コード設定'),
        ),
    ]
