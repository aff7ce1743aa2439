"""Cover requests: a native daily rotation (Mia is member@acme.example, Ada the admin), frozen time,
and helpers to find a person's shifts."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.actor import Actor
from rotations import selectors
from rotations.models import Member, Rotation
from tests.factories import daily_rotation

H = dt.timedelta(hours=1)
PEOPLE = [("Mia Member", "member@acme.example"), ("Ada Admin", "admin@acme.example"), ("Bo Chen", "bo@acme.example")]


@pytest.fixture
def rotation(org, frozen) -> Rotation:
    """Daily turns at 09:00 UTC from 1 March: Mia, Ada, Bo (Bo is on call now; Mia from 7 March 09:00)."""
    return daily_rotation(org, PEOPLE)


def member(rotation: Rotation, email: str) -> Member:
    return rotation.members.get(email=email)


def mia(rotation):
    return member(rotation, "member@acme.example")


def ada(rotation):
    return member(rotation, "admin@acme.example")


def bo(rotation):
    return member(rotation, "bo@acme.example")


def shifts_of(rotation: Rotation, person: Member, *, since: dt.datetime | None = None, days: int = 10):
    """The person's turns in the timeline from `since` (default now), as (start, end)."""
    since = since or dt.datetime.now(dt.UTC)
    fresh = Rotation.objects.get(pk=rotation.pk)
    return [
        (s.start, s.end)
        for s in selectors.timeline(fresh, since=since, until=since + dt.timedelta(days=days))
        if s.who is not None and s.who.member_id == person.pk and s.start >= since
    ]


def on_call_at(rotation: Rotation, moment: dt.datetime) -> str | None:
    fresh = Rotation.objects.get(pk=rotation.pk)
    slots = selectors.timeline(fresh, since=moment, until=moment + dt.timedelta(seconds=1))
    names = [s.who.name for s in slots if s.who is not None and s.start <= moment < s.end]
    return names[0] if names else None


ACTOR = Actor(label="test")
