from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("outgoing", "0004_deliveries_are_notifications")]

    operations = [migrations.DeleteModel(name="Delivery")]
