import datetime as dt

import pytest

from notifications.slack.settings import rotation_slack_update
from tests.factories import daily_rotation
from tests.integrations.slack_flow import make_connection
from tests.notifications import channel

outbox = channel.outbox  # the test channel's fixture


def daily(org, people, *, time_zone="UTC"):
    """A native daily rotation "Platform" (UTC unless said) handing over at 09:00 local, the first person's turn on 6 March."""
    return daily_rotation(org, people, time_zone=time_zone, start_date=dt.date(2026, 3, 6))


@pytest.fixture
def rotation(org, frozen):
    """Ana on 6 March, Bo on the 7th, Cy on the 8th."""
    return daily(
        org, [("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")]
    )


@pytest.fixture
def team(org, frozen):
    """Two people Slack knows (tests/fake_slack.py): Ada on 6 March, Grace on the 7th."""
    return daily(org, [("Ada Lovelace", "ada@acme.example"), ("Grace Hopper", "grace@acme.example")])


@pytest.fixture
def slack_team(team, org, fake_slack):
    """`team`, its messages going to #ops in the fake Slack."""
    make_connection(org, fake_slack)
    rotation_slack_update(rotation=team, actor=None, changes={"message_channel_id": "C0OPS"})
    return team
