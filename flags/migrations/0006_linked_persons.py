"""要注意照会対象: zero or more linked persons per case, with four-eyes removal; the old single abuser copied in."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def abuser_to_links(apps, schema_editor):
    """Each case's abuser becomes its first linked person, as of the case's opening, by whoever opened it."""
    ProtectionCase = apps.get_model("flags", "ProtectionCase")
    CaseLinkedPerson = apps.get_model("flags", "CaseLinkedPerson")
    for case in ProtectionCase.objects.filter(abuser__isnull=False).select_related("opened_by").iterator():
        CaseLinkedPerson.objects.create(
            case=case,
            institution_id=case.institution_id,
            person_id=case.abuser_id,
            reason="加害者（登録時に指定）",
            added_at=case.opened_at,
            added_by=case.opened_by,
            added_by_name=case.opened_by.username if case.opened_by else "",
        )


def links_to_abuser(apps, schema_editor):
    """Reverse: the earliest link in force of each case becomes its abuser again (later links are lost)."""
    ProtectionCase = apps.get_model("flags", "ProtectionCase")
    CaseLinkedPerson = apps.get_model("flags", "CaseLinkedPerson")
    for link in CaseLinkedPerson.objects.filter(removed_at__isnull=True).order_by("-added_at", "-id"):
        ProtectionCase.objects.filter(pk=link.case_id).update(abuser_id=link.person_id)


class Migration(migrations.Migration):

    dependencies = [
        ('flags', '0005_case_lifecycle_constraints'),
        ('institutions', '0001_initial'),
        ('members', '0002_catalogue'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseLinkedPerson',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='登録理由')),
                ('added_at', models.DateTimeField(verbose_name='登録日時')),
                ('added_by_name', models.CharField(blank=True, max_length=150, verbose_name='登録者名')),
                ('removed_at', models.DateTimeField(blank=True, null=True, verbose_name='削除日時')),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登録者')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='linked_persons', to='flags.protectioncase', verbose_name='設定対象者')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='institutions.institution', verbose_name='保険者')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.person', verbose_name='要注意照会対象者')),
            ],
            options={
                'verbose_name': '要注意照会対象者',
                'verbose_name_plural': '要注意照会対象者',
                'ordering': ['added_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='LinkRemovalRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(verbose_name='削除理由')),
                ('state', models.CharField(choices=[('pending', '承認待ち'), ('approved', '承認済'), ('rejected', '却下')], default='pending', max_length=20, verbose_name='状態')),
                ('requested_at', models.DateTimeField(verbose_name='依頼日時')),
                ('requested_by_name', models.CharField(blank=True, max_length=150, verbose_name='依頼者名')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='承認・却下日時')),
                ('decided_by_name', models.CharField(blank=True, max_length=150, verbose_name='承認者名')),
                ('decision_note', models.TextField(blank=True, verbose_name='承認・却下メモ')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='承認者')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='institutions.institution', verbose_name='保険者')),
                ('link', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='removal_requests', to='flags.caselinkedperson', verbose_name='要注意照会対象者')),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='依頼者')),
            ],
            options={
                'verbose_name': '要注意照会対象者の削除依頼',
                'verbose_name_plural': '要注意照会対象者の削除依頼',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='caselinkedperson',
            index=models.Index(fields=['institution', 'person', 'removed_at'], name='linked_person_lookup_idx'),
        ),
        migrations.AddConstraint(
            model_name='caselinkedperson',
            constraint=models.UniqueConstraint(condition=models.Q(('removed_at__isnull', True)), fields=('case', 'person'), name='one_link_per_case_person'),
        ),
        migrations.AddConstraint(
            model_name='linkremovalrequest',
            constraint=models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('link',), name='one_pending_removal_per_link'),
        ),
        migrations.RunPython(abuser_to_links, links_to_abuser),
    ]
