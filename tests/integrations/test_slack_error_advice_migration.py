"""The migrations of the Slack connection's error keep what admins and members read: 0003 splits a stored
"… Click Reconnect Slack …" into the reason and the advice, and 0004 stores the error's code in place of
the advice text (the advice is chosen where it is shown)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.slack.models import SlackConnection as CurrentSlackConnection
from tests.outgoing.test_migration import _migrate

BEFORE = [("slack", "0002_last_error_transient")]
AFTER = [("slack", "0003_last_error_advice")]
CODED = [("slack", "0004_last_error_code")]
REASON = "Slack no longer accepts Roster's token (token_revoked): the app was removed or its token revoked."
ADVICE = "Click Reconnect Slack to add Roster to the workspace again."
SCOPE_REASON = "Roster's Slack app lacks a permission it needs (users:read.email)."
SCOPE_ADVICE = "Click Reconnect Slack to grant it (an operator may first need to add it to the Slack app)."


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


@pytest.mark.django_db(transaction=True)
def test_stored_advice_becomes_the_code_it_was_given_for_and_comes_back_when_reversed():
    apps = _migrate(AFTER)
    Organization = apps.get_model("accounts", "Organization")
    SlackConnection = apps.get_model("slack", "SlackConnection")
    stored = {
        "dead": (REASON, ADVICE),
        "unnamed": ("Slack no longer accepts Roster's token.", ADVICE),  # no code in the reason
        "scope": (SCOPE_REASON, SCOPE_ADVICE),
        "down": ("Slack answered with an error (HTTP 503); Roster will try again.", ""),
    }
    pks = {
        slug: SlackConnection.objects.create(
            organization=Organization.objects.create(name=slug, slug=slug),
            team_id=slug,
            bot_token="xoxb-1",
            last_error=reason,
            last_error_advice=advice,
        ).pk
        for slug, (reason, advice) in stored.items()
    }

    apps = _migrate(CODED)
    codes = dict(apps.get_model("slack", "SlackConnection").objects.values_list("pk", "last_error_code"))
    assert {slug: codes[pk] for slug, pk in pks.items()} == {
        "dead": "token_revoked",
        "unnamed": "invalid_auth",
        "scope": "missing_scope",
        "down": "",
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for slug, (reason, advice) in stored.items():  # what admins read, as before
        row = CurrentSlackConnection.objects.get(pk=pks[slug])
        assert (row.last_error, row.last_error_for_admins) == (reason, f"{reason} {advice}".strip())

    apps = _migrate(AFTER)
    rows = apps.get_model("slack", "SlackConnection").objects.values_list("pk", "last_error", "last_error_advice")
    assert {pk: (reason, advice) for pk, reason, advice in rows} == {pks[slug]: stored[slug] for slug in stored}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # as the other tests expect it
