from django.db import migrations, models

# Until now the admin's advice was stored at the end of the error ("… Click Reconnect Slack to …").
ADVICE_START = " Click Reconnect Slack"


def advice_apart(apps, schema_editor):
    SlackConnection = apps.get_model("slack", "SlackConnection")
    for connection in SlackConnection.objects.filter(last_error__contains=ADVICE_START):
        reason, _, advice = connection.last_error.partition(ADVICE_START)
        connection.last_error, connection.last_error_advice = reason, (ADVICE_START + advice).strip()
        connection.save(update_fields=["last_error", "last_error_advice"])


def advice_joined(apps, schema_editor):
    SlackConnection = apps.get_model("slack", "SlackConnection")
    for connection in SlackConnection.objects.exclude(last_error_advice=""):
        connection.last_error = f"{connection.last_error} {connection.last_error_advice}"[:500]
        connection.save(update_fields=["last_error"])


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0002_last_error_transient"),
    ]

    operations = [
        migrations.AddField(
            model_name="slackconnection",
            name="last_error_advice",
            field=models.CharField(
                blank=True,
                default="",
                help_text="What an admin does about last_error (shown to admins only).",
                max_length=200,
            ),
        ),
        migrations.RunPython(advice_apart, advice_joined),
    ]
