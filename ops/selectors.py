"""The operator's figures, read from the database in a fixed number of queries whatever the number of
organizations: `/metrics` adds them up, Django admin → System status shows them per organization."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Min
from django.utils import timezone

from accounts.models import Organization
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.selectors import connection_health
from integrations.slack.models import SlackConnection
from notifications.models import Notification
from rotations.models import Rotation, SyncRun
from webhooks.models import Delivery

from .models import PeriodicRun

WAITING = (Notification.Status.PENDING, Notification.Status.SENDING)


@dataclass
class ChannelFailures:
    count: int = 0
    last_error: str = ""
    last_id: int = 0


@dataclass
class OrgFigures:
    """One organization's figures (the status page's row)."""

    id: int
    name: str
    bound_rotations: int = 0
    sync_lag_seconds: float | None = None  # its oldest bound rotation's time since a successful sync
    webhook_backlog: int = 0  # received, not yet processed
    webhook_oldest_waiting_seconds: float | None = None
    webhook_held: int = 0
    webhook_deliveries: dict[str, int] = field(default_factory=dict)  # by status
    notifications: dict[tuple[str, str], int] = field(default_factory=dict)  # by (channel, status)
    notifications_pending: int = 0
    oldest_pending_seconds: dict[str, float] = field(default_factory=dict)  # by channel
    failing: dict[str, ChannelFailures] = field(default_factory=dict)  # failed notifications by channel
    connections: dict[str, str] = field(default_factory=dict)  # provider -> active | degraded | action_needed


@dataclass
class Snapshot:
    at: datetime
    organizations: dict[int, OrgFigures]
    beat: dict[str, datetime]  # periodic task -> when a worker last started it


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def _sync_lag(now: datetime, orgs: dict[int, OrgFigures]) -> None:
    bound = Rotation.objects.exclude(pagerduty_schedule_id="").values_list(
        "organization_id", "pagerduty_schedule_id", "created_at"
    )
    last_ok = {
        (row["organization_id"], row["schedule_id"]): row["last"]
        for row in SyncRun.objects.filter(ok=True)
        .values("organization_id", "schedule_id")
        .annotate(last=Max("finished_at"))
    }
    for org_id, schedule_id, created_at in bound:
        figures = orgs.get(org_id)
        if figures is None:
            continue
        figures.bound_rotations += 1
        # Never synced: lagging since the rotation was bound (its creation, as the closest known time).
        lag = _age(now, last_ok.get((org_id, schedule_id)) or created_at)
        if lag is not None and (figures.sync_lag_seconds is None or lag > figures.sync_lag_seconds):
            figures.sync_lag_seconds = lag


def _webhooks(now: datetime, orgs: dict[int, OrgFigures]) -> None:
    rows = Delivery.objects.values("organization_id", "status").annotate(n=Count("id"), oldest=Min("received_at"))
    for row in rows.order_by():
        figures = orgs.get(row["organization_id"])
        if figures is None:
            continue
        figures.webhook_deliveries[row["status"]] = row["n"]
        if row["status"] == Delivery.Status.RECEIVED:
            figures.webhook_backlog = row["n"]
            figures.webhook_oldest_waiting_seconds = _age(now, row["oldest"])
        elif row["status"] == Delivery.Status.HELD:
            figures.webhook_held = row["n"]


def _notifications(now: datetime, orgs: dict[int, OrgFigures]) -> None:
    rows = Notification.objects.values("organization_id", "channel", "status").annotate(
        n=Count("id"), oldest=Min("created_at"), last_id=Max("id")
    )
    last_failed: dict[int, tuple[int, str]] = {}
    for row in rows.order_by():
        figures = orgs.get(row["organization_id"])
        if figures is None:
            continue
        channel, status = row["channel"], row["status"]
        figures.notifications[(channel, status)] = row["n"]
        if status in WAITING:
            figures.notifications_pending += row["n"]
            age = _age(now, row["oldest"]) or 0.0
            figures.oldest_pending_seconds[channel] = max(age, figures.oldest_pending_seconds.get(channel, 0.0))
        elif status == Notification.Status.FAILED:
            figures.failing[channel] = ChannelFailures(count=row["n"], last_id=row["last_id"])
            last_failed[row["last_id"]] = (figures.id, channel)
    if last_failed:
        for pk, error in Notification.objects.filter(pk__in=list(last_failed)).values_list("pk", "last_error"):
            org_id, channel = last_failed[pk]
            orgs[org_id].failing[channel].last_error = error


def _connections(orgs: dict[int, OrgFigures]) -> None:
    pagerduty = PagerDutyConnection.objects.defer("api_key", "access_token", "refresh_token", "oauth_client_secret")
    for connection in pagerduty:
        figures = orgs.get(connection.organization_id)
        if figures is not None:
            figures.connections["pagerduty"] = connection_health(connection, name_fixers=False).state
    for org_id, status, last_error_at, validated_at in SlackConnection.objects.values_list(
        "organization_id", "status", "last_error_at", "validated_at"
    ):
        figures = orgs.get(org_id)
        if figures is None:
            continue
        if status == SlackConnection.Status.NEEDS_REAUTH:
            state = "action_needed"
        elif last_error_at is not None and (validated_at is None or last_error_at > validated_at):
            state = "degraded"
        else:
            state = "active"
        figures.connections["slack"] = state


def snapshot(*, now: datetime | None = None) -> Snapshot:
    """Every organization's figures and beat's last runs, in ten queries."""
    now = now or timezone.now()
    orgs = {pk: OrgFigures(id=pk, name=name) for pk, name in Organization.objects.values_list("pk", "name")}
    _sync_lag(now, orgs)
    _webhooks(now, orgs)
    _notifications(now, orgs)
    _connections(orgs)
    beat = dict(PeriodicRun.objects.values_list("task", "last_run_at"))
    return Snapshot(at=now, organizations=orgs, beat=beat)
