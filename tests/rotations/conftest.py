import pytest

from tests.factories import daily_rotation


@pytest.fixture
def native(org, frozen):
    """A native daily rotation in New York, handing over at 09:00 local, started on 1 March."""
    return daily_rotation(
        org,
        [("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")],
        time_zone="America/New_York",
    )
