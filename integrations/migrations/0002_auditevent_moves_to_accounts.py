# The audit trail records member and token changes too: it moved to accounts (the bottom layer).
# The table is renamed and the model leaves this app's state; accounts 0004 takes it over.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RenameIndex(
                    model_name='auditevent',
                    new_name='audit_org_provider_created_idx',
                    old_name='integration_organiz_3c32ba_idx',
                ),
                migrations.AlterModelTable(name='auditevent', table='accounts_auditevent'),
            ],
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
        ),
    ]
