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


def notification_json(n: Notification) -> dict:
    return {
        "id": n.pk,
        "channel": n.channel,
        "target": n.target,
        "kind": n.kind,
        "kindLabel": registry.kind(n.kind).label,
        "handoffId": n.handoff_id,
        "sourceAt": n.source_at.isoformat(),
        "status": n.status,
        "attempts": n.attempts,
        "nextAttemptAt": n.next_attempt_at.isoformat() if n.status == Notification.Status.PENDING else None,
        "lastError": n.last_error or None,
        "sentAt": n.sent_at.isoformat() if n.sent_at else None,
        "createdAt": n.created_at.isoformat(),
    }
