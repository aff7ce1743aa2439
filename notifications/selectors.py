"""Reads: a rotation's recent notifications, for its page and the JSON API."""

from __future__ import annotations

import datetime as dt

from rotations import cadence
from rotations.models import Rotation
from rotations.selectors import Person, timeline

from . import registry
from .models import Notification

RECENT = 10


def recent_notifications(rotation: Rotation, limit: int = RECENT) -> list[Notification]:
    return list(Notification.objects.filter(rotation=rotation).order_by("-created_at", "-id")[:limit])


def rotation_page_context(rotation: Rotation) -> dict:
    """rotations.hooks detail context: the rotation page's "Notifications" section."""
    rows = recent_notifications(rotation)
    labels: dict[str, dict[str, str]] = {}
    for key in {n.channel for n in rows}:
        found = registry.channel(key)
        labels[key] = found.target_labels(rotation, {n.target for n in rows if n.channel == key}) if found else {}
    return {
        "recent_notifications": [
            {"row": n, "kind_label": registry.kind(n.kind).label, "target": labels[n.channel].get(n.target, n.target)}
            for n in rows
        ]
    }


# --- upcoming shifts (upcoming.py makes their reminders; services checks one is still there) ---


def people_slots(rotation: Rotation, *, since: dt.datetime, until: dt.datetime) -> list[cadence.Slot[Person]]:
    """Who is on call when over [since, until), back-to-back slots of one person joined, gaps left out."""
    return [s for s in cadence.merge_adjacent(timeline(rotation, since=since, until=until)) if s.who is not None]


def shift_still_there(rotation: Rotation, *, start: dt.datetime, person_key: str) -> bool:
    """Does `person_key` still start a shift at `start` (what a reminder of it was made for)?"""
    slots = people_slots(rotation, since=start - dt.timedelta(seconds=1), until=start + dt.timedelta(seconds=1))
    return any(s.start == start and s.who is not None and s.who.key == person_key for s in slots)
