"""Reads: a rotation's recent notifications, for its page and the JSON API."""

from __future__ import annotations

from rotations.models import Rotation

from . import registry
from .models import Notification

RECENT = 10


def recent_notifications(rotation: Rotation, limit: int = RECENT) -> list[Notification]:
    return list(Notification.objects.filter(rotation=rotation).order_by("-created_at", "-id")[:limit])


def rotation_page_context(rotation: Rotation) -> dict:
    """rotations.hooks detail context: the rotation page's "Notifications" section."""
    return {
        "recent_notifications": [
            {"row": n, "kind_label": registry.kind(n.kind).label} for n in recent_notifications(rotation)
        ]
    }
