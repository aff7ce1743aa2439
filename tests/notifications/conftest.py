import datetime as dt

import pytest

from rotations import services
from tests.notifications import channel
from tests.rotations import conftest as rotations_conftest

NOW = rotations_conftest.NOW  # Friday 6 March 2026, 12:00 UTC: Ana's turn in `rotation` below
frozen = rotations_conftest.frozen
outbox = channel.outbox  # the test channel's fixture


@pytest.fixture
def rotation(org, frozen):
    """A native daily rotation in UTC handing over at 09:00: Ana on 6 March, Bo on the 7th, Cy on the 8th."""
    return services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="UTC",
        members=[("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")],
        cadence_unit="days",
        cadence_count=1,
        handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 3, 6),
    )
