"""The migration that stores the admin's advice apart from the Slack connection's error keeps what
admins and members read: a stored "… Click Reconnect Slack …" is split into the reason and the advice."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.outgoing.test_migration import _migrate

BEFORE = [("slack", "0002_last_error_transient")]
AFTER = [("slack", "0003_last_error_advice")]
REASON = "Slack no longer accepts Roster's token (token_revoked): the app was removed or its token revoked."
ADVICE = "Click Reconnect Slack to add Roster to the workspace again."


@pytest.mark.django_db(transaction=True)
def test_a_stored_error_is_split_into_its_reason_and_the_admin_s_advice():
    apps = _migrate(BEFORE)
    Organization = apps.get_model("accounts", "Organization")
    SlackConnection = apps.get_model("slack", "SlackConnection")
    dead = SlackConnection.objects.create(
        organization=Organization.objects.create(name="Acme", slug="acme"),
        team_id="T1",
        bot_token="xoxb-1",
        last_error=f"{REASON} {ADVICE}",
    )
    down = SlackConnection.objects.create(
        organization=Organization.objects.create(name="Beta", slug="beta"),
        team_id="T2",
        bot_token="xoxb-2",
        last_error="Slack answered with an error (HTTP 503); Roster will try again.",
    )

    apps = _migrate(AFTER)
    SlackConnection = apps.get_model("slack", "SlackConnection")
    assert SlackConnection.objects.filter(pk=dead.pk).values_list("last_error", "last_error_advice").get() == (
        REASON,
        ADVICE,
    )
    assert SlackConnection.objects.filter(pk=down.pk).values_list("last_error", "last_error_advice").get() == (
        down.last_error,
        "",
    )

    apps = _migrate(BEFORE)
    assert apps.get_model("slack", "SlackConnection").objects.get(pk=dead.pk).last_error == f"{REASON} {ADVICE}"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # as the other tests expect it
