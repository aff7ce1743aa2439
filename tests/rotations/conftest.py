import datetime as dt

import pytest
import time_machine

from rotations import services

NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)  # a Friday; New York springs forward on Sunday 8 March


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def native(org, frozen):
    """A native daily rotation in New York, handing over at 09:00 local, started on 1 March."""
    return services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="America/New_York",
        members=[("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")],
        cadence_unit="days",
        cadence_count=1,
        handoff_time=dt.time(9, 0),
        start_date=dt.date(2026, 3, 1),
    )
