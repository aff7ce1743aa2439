"""A Slack connection stores its error's code instead of the admin's advice text: the advice is chosen
where it is shown (client.advice_for), so it never goes stale when its wording changes. Stored advice
becomes the code it was given for; reversed, the code gives the advice text back."""

import re

from django.db import migrations, models

# client.REAUTH_HELP, client.SCOPE_HELP and client.NEEDS_REAUTH_CODES as they were (a migration never
# imports the code it outlives).
REAUTH_ADVICE = "Click Reconnect Slack to add Roster to the workspace again."
SCOPE_ADVICE = "Click Reconnect Slack to grant it (an operator may first need to add it to the Slack app)."
NEEDS_REAUTH_CODES = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
# A dead token's reason names its code: "Slack no longer accepts Roster's token (token_revoked): …".
_CODE_IN_REASON = re.compile(r"\(([a-z_]+)\)")


def _code_for(last_error: str, advice: str) -> str:
    if advice.startswith("Click Reconnect Slack to grant"):
        return "missing_scope"
    if advice.startswith("Click Reconnect Slack to add Roster"):
        named = _CODE_IN_REASON.search(last_error)
        return named.group(1) if named and named.group(1) in NEEDS_REAUTH_CODES else "invalid_auth"
    return ""


def advice_to_code(apps, schema_editor):
    SlackConnection = apps.get_model("slack", "SlackConnection")
    for connection in SlackConnection.objects.exclude(last_error_advice=""):
        connection.last_error_code = _code_for(connection.last_error, connection.last_error_advice)
        connection.save(update_fields=["last_error_code"])


def code_to_advice(apps, schema_editor):
    SlackConnection = apps.get_model("slack", "SlackConnection")
    stored = SlackConnection.objects.exclude(last_error="")
    stored.filter(last_error_code__in=NEEDS_REAUTH_CODES).update(last_error_advice=REAUTH_ADVICE)
    stored.filter(last_error_code="missing_scope").update(last_error_advice=SCOPE_ADVICE)


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0003_last_error_advice"),
    ]

    operations = [
        migrations.AddField(
            model_name="slackconnection",
            name="last_error_code",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Slack's error code for last_error (the advice admins read).",
                max_length=60,
            ),
        ),
        migrations.RunPython(advice_to_code, code_to_advice),
        migrations.RemoveField(
            model_name="slackconnection",
            name="last_error_advice",
        ),
    ]
