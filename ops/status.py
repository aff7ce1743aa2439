"""The System status page's rows: an organization's figures in plain words, with links to its rows in
Django admin."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from .selectors import Figures, Snapshot

SYNC_LAG_WARNING = 600  # seconds: the alert rule's threshold
WEBHOOK_WAIT_WARNING = 300
HEALTH_LABELS = {"active": "Active", "degraded": "Degraded", "action_needed": "Action needed", "": "Not connected"}


@dataclass(frozen=True)
class Link:
    text: str
    url: str


def _changelist(model: str, **filters) -> str:
    return reverse(f"admin:{model}_changelist") + "?" + urlencode(filters)


def attention(f: Figures) -> int:
    """How much an organization needs a look: failing notifications, action needed, lag, backlog."""
    score = sum(c.count for c in f.failing.values())
    score += 100 * sum(n for (_p, health), n in f.connections.items() if health == "action_needed")
    if (f.sync_lag_seconds or 0) > SYNC_LAG_WARNING:
        score += 50
    if (f.webhook_oldest_waiting_seconds or 0) > WEBHOOK_WAIT_WARNING:
        score += 50
    return score


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def row(f: Figures) -> dict:
    failing = [
        {
            "channel": channel,
            "count": failures.count,
            "last_error": failures.last_error,
            "link": Link(
                f"{failures.count} failed",
                _changelist(
                    "notifications_notification", organization__id__exact=f.id, channel=channel, status="failed"
                ),
            ),
        }
        for channel, failures in sorted(f.failing.items())
    ]
    return {
        "id": f.id,
        "name": f.name,
        "organization": Link(f.name, reverse("admin:accounts_organization_change", args=[f.id])),
        "sync_lag": duration(f.sync_lag_seconds),
        "sync_lagging": (f.sync_lag_seconds or 0) > SYNC_LAG_WARNING,
        "rotations": Link("rotations", _changelist("rotations_rotation", organization__id__exact=f.id)),
        "webhook_backlog": f.webhook_backlog,
        "webhook_oldest": duration(f.webhook_oldest_waiting_seconds),
        "webhook_waiting_long": (f.webhook_oldest_waiting_seconds or 0) > WEBHOOK_WAIT_WARNING,
        "webhook_held": f.webhook_held,
        "deliveries": Link(
            "deliveries", _changelist("webhooks_delivery", organization__id__exact=f.id, status="received")
        ),
        "pending": f.notifications_pending,
        "failing": failing,
        "pagerduty": HEALTH_LABELS[f.connection("pagerduty")],
        "slack": HEALTH_LABELS[f.connection("slack")],
        "attention": attention(f) > 0,
    }


def totals(snap: Snapshot) -> dict:
    figures = list(snap.figures.values())
    return {
        "organizations": len(figures),
        "attention": sum(1 for f in figures if attention(f) > 0),
        "webhook_backlog": sum(f.webhook_backlog for f in figures),
        "pending": sum(f.notifications_pending for f in figures),
        "failing": sum(c.count for f in figures for c in f.failing.values()),
    }
