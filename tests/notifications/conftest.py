import datetime as dt

import pytest

from rotations import services
from tests.notifications import channel
from tests.rotations import conftest as rotations_conftest

NOW = rotations_conftest.NOW  # Friday 6 March 2026, 12:00 UTC: Ana's turn in `rotation` below
frozen = rotations_conftest.frozen
outbox = channel.outbox  # the test channel's fixture


def daily(org, people, *, time_zone="UTC"):
    """A native daily rotation "Platform" (UTC unless said) handing over at 09:00 local, the first person's turn on 6 March."""
    return services.rotation_create(
        organization=org,
        name="Platform",
        time_zone=time_zone,
        members=people,
        cadence_unit="days",
        cadence_count=1,
        handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 3, 6),
    )


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
