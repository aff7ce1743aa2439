"""A refused API key's `last_error` keeps only PagerDuty's reason: the advice an admin reads after it
(credentials.UNAUTHORIZED_HELP) is added where it is shown, to admins only. Rows stored with the
advice appended (or cut inside it at 500 characters) lose it and say what kind of failure it was."""

from django.db import migrations

# credentials.UNAUTHORIZED_HELP as it was appended (a migration never imports the code it outlives).
ADVICE = (
    "Check that you pasted a REST API key (PagerDuty → Integrations → API Access Keys), not an "
    "Events/integration key; that it has not been revoked; and that the service region (US or EU) "
    "matches your PagerDuty account."
)
ADVICE_START = " Check that you pasted a REST API key"
UNAUTHORIZED = "pagerduty_unauthorized"


def drop_advice(apps, schema_editor):
    Connection = apps.get_model("pagerduty", "PagerDutyConnection")
    for connection in Connection.objects.filter(status="invalid", last_error__contains=ADVICE_START):
        connection.last_error = connection.last_error.partition(ADVICE_START)[0]
        connection.last_error_code = UNAUTHORIZED
        connection.save(update_fields=["last_error", "last_error_code"])


def append_advice(apps, schema_editor):
    Connection = apps.get_model("pagerduty", "PagerDutyConnection")
    for connection in Connection.objects.filter(status="invalid", last_error_code=UNAUTHORIZED).exclude(last_error=""):
        connection.last_error = f"{connection.last_error} {ADVICE}"[:500]
        connection.save(update_fields=["last_error"])


class Migration(migrations.Migration):
    dependencies = [
        ("pagerduty", "0005_freshness"),
    ]

    operations = [
        migrations.RunPython(drop_advice, append_advice, elidable=True),
    ]
