"""On PostgreSQL, with threads: two people taking the same cover request at the same moment. Exactly
one gets it (one conditional UPDATE decides); the other hears who was faster, and the schedule changes
once (one Roster override, or one PagerDuty override)."""

from __future__ import annotations

import pytest

from covers import services
from covers.models import CoverRequest
from rotations.models import Override
from tests.threads import run_together

from .conftest import ACTOR, ada, bo, mia, shifts_of
from .test_pagerduty import ask as ask_bound
from .test_pagerduty import bound, person
from .test_pagerduty import fake as fake  # noqa: F401, PLC0414  (the fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]


def take_together(monkeypatch, cover_request_id: int, takers) -> tuple[list, list[Exception]]:
    """Each taker in its own thread; all reach the claim before any goes on. What they won, what they raised."""
    won = []

    def take(taker):
        return lambda: won.append(
            services.cover_request_take(cover_request_id=cover_request_id, taker=taker, actor=ACTOR)
        )

    lost = run_together(monkeypatch, services, "_claim", [take(t) for t in takers], timeout=60)
    return won, lost


def test_two_takers_at_once_on_a_native_rotation_exactly_one_wins(rotation, monkeypatch):
    start, end = shifts_of(rotation, mia(rotation))[0]
    made = services.cover_request_create(rotation=rotation, requester=mia(rotation), start=start, end=end, actor=ACTOR)

    won, lost = take_together(monkeypatch, made.pk, [ada(rotation), bo(rotation)])

    assert len(won) == 1 and len(lost) == 1
    winner = won[0].taker_name
    assert (lost[0].code, lost[0].status, lost[0].message) == ("already_taken", 409, f"{winner} took it first.")
    assert CoverRequest.objects.get().taker_name == winner
    assert Override.objects.count() == 1


def test_two_takers_at_once_on_a_pagerduty_schedule_write_one_override(org, pd_connection, fake, monkeypatch):  # noqa: F811
    rotation = bound(org, "v2")
    made = ask_bound(rotation)

    won, lost = take_together(
        monkeypatch, made.pk, [person(rotation, "bo@acme.example"), person(rotation, "dan@acme.example")]
    )

    assert len(won) == 1 and [e.code for e in lost] == ["already_taken"]
    (override,) = fake.overrides_of("PCLASSIC")
    assert CoverRequest.objects.get().pagerduty_override_id == override.id
