"""ProtectionCase.abuser is replaced by CaseLinkedPerson (0003 copied it). A separate migration: on PostgreSQL the
table cannot be altered in the transaction that inserted rows referring to it."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("flags", "0006_linked_persons"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="protectioncase",
            name="abuser",
        ),
    ]
