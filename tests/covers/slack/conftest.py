"""What the Slack command tests here share: Acme connected to the fake Slack, two rotations, a signed sender,
and their own `frozen` (8 December, the clock ticking)."""

import datetime as dt

import pytest
import time_machine

from tests.factories import RotationFactory
from tests.fake_slack import SlackSender
from tests.integrations.slack_flow import make_connection

# A Tuesday. Both rotations are weekly from Monday 5 January 2026, 09:00 UTC: in Platform, Ada's
# turn runs until Monday 14 December 09:00, then Grace's.
NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
HANDOFF = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)
SECRET = "slack-signing-secret-for-tests"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def slack_app(settings, fake_slack):
    settings.SLACK_SIGNING_SECRET = SECRET
    return fake_slack


@pytest.fixture
def connection(org, slack_app):
    return make_connection(org, slack_app)


@pytest.fixture
def platform(org, frozen):
    return RotationFactory(
        organization=org,
        name="Platform",
        members=[("Ada Lovelace", "ada@acme.example"), ("Grace Hopper", "grace@acme.example")],
    )


@pytest.fixture
def database(org, frozen):
    return RotationFactory(organization=org, name="Database", members=[("Admin", "admin@acme.example")])


@pytest.fixture
def sender(client, slack_app, connection):
    return SlackSender(client, slack_app, signing_secret=SECRET)


def when(moment: dt.datetime) -> str:
    """How Roster writes a moment for Slack (each reader's own time zone, UTC as the fallback)."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"
