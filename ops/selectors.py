"""The operator's figures, read from the database in a fixed number of queries whatever the number of
organizations. `/metrics` reads them for the whole installation (small GROUP BYs: a scrape stays
cheap at thousands of organizations); Django admin → System status reads the same figures grouped by
organization. One set of queries serves both: `snapshot(per_organization=...)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
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
ALL = 0  # the key of the installation-wide figures
_HEALTH_FIELDS = (
    "organization_id", "auth_type", "status", "last_error", "last_error_code", "last_error_at", "scopes",
    "last_refresh_result", "last_refresh_error", "last_refreshed_at",
)  # fmt: skip


@dataclass
class ChannelFailures:
    count: int = 0
    last_error: str = ""
    last_id: int = 0


@dataclass
class Figures:
    """One organization's figures (a row of the status page), or the whole installation's."""

    id: int
    name: str
    sync_lag_seconds: float | None = None  # the oldest bound rotation's time since a successful sync
    webhook_backlog: int = 0  # received, not yet processed
    webhook_oldest_waiting_seconds: float | None = None
    webhook_held: int = 0
    webhook_deliveries: dict[str, int] = field(default_factory=dict)  # by status
    notifications: dict[tuple[str, str], int] = field(default_factory=dict)  # by (channel, status)
    notifications_pending: int = 0
    oldest_pending_seconds: dict[str, float] = field(default_factory=dict)  # by channel
    failing: dict[str, ChannelFailures] = field(default_factory=dict)  # failed notifications by channel
    connections: dict[tuple[str, str], int] = field(default_factory=dict)  # (provider, health) -> count

    def connection(self, provider: str) -> str:
        """This organization's connection health for `provider` ("" when not connected)."""
        return next((health for (p, health), n in self.connections.items() if p == provider and n), "")


@dataclass
class Snapshot:
    at: datetime
    figures: dict[int, Figures]  # by organization id, or {ALL: ...}
    beat: dict[str, datetime]  # periodic task -> when a worker last started it


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


class _Reader:
    def __init__(self, now: datetime, per_organization: bool):
        self.now, self.per_org = now, per_organization
        if per_organization:
            self.figures = {pk: Figures(pk, name) for pk, name in Organization.objects.values_list("pk", "name")}
        else:
            self.figures = {ALL: Figures(ALL, "All organizations")}

    def rows(self, queryset, *fields: str, **aggregates) -> list[dict]:
        """`aggregates` over `queryset` grouped by `fields` (and the organization, when reading per
        organization): one query, one row a group."""
        keys = (("organization_id",) if self.per_org else ()) + fields
        if not keys:
            return [queryset.aggregate(**aggregates)]
        return list(queryset.values(*keys).order_by().annotate(**aggregates))

    def of(self, row: dict) -> Figures | None:
        return self.figures.get(row["organization_id"]) if self.per_org else self.figures[ALL]

    def sync_lag(self) -> None:
        last_ok = (
            SyncRun.objects.filter(
                organization_id=OuterRef("organization_id"), schedule_id=OuterRef("pagerduty_schedule_id"), ok=True
            )
            .order_by("-started_at")  # the index syncrun_schedule (organization, schedule_id, -started_at)
            .values("finished_at")[:1]
        )
        bound = Rotation.objects.exclude(pagerduty_schedule_id="").annotate(
            # Never synced: lagging since the rotation was made, the closest time known.
            last_ok=Coalesce(Subquery(last_ok), F("created_at"))
        )
        for row in self.rows(bound, oldest=Min("last_ok")):
            figures = self.of(row)
            if figures is not None:
                figures.sync_lag_seconds = _age(self.now, row["oldest"])

    def webhooks(self) -> None:
        for row in self.rows(Delivery.objects, "status", n=Count("id"), oldest=Min("received_at")):
            figures = self.of(row)
            if figures is None:
                continue
            figures.webhook_deliveries[row["status"]] = row["n"]
            if row["status"] == Delivery.Status.RECEIVED:
                figures.webhook_backlog = row["n"]
                figures.webhook_oldest_waiting_seconds = _age(self.now, row["oldest"])
            elif row["status"] == Delivery.Status.HELD:
                figures.webhook_held = row["n"]

    def notifications(self) -> None:
        counts = self.rows(Notification.objects, "channel", "status", n=Count("id"), last_id=Max("id"))
        last_failed: dict[int, tuple[Figures, str]] = {}
        for row in counts:
            figures = self.of(row)
            if figures is None:
                continue
            channel, status = row["channel"], row["status"]
            figures.notifications[(channel, status)] = row["n"]
            if status in WAITING:
                figures.notifications_pending += row["n"]
            elif status == Notification.Status.FAILED:
                figures.failing[channel] = ChannelFailures(count=row["n"], last_id=row["last_id"])
                last_failed[row["last_id"]] = (figures, channel)
        waiting = self.rows(Notification.objects.filter(status__in=WAITING), "channel", oldest=Min("created_at"))
        for row in waiting:
            figures = self.of(row)
            if figures is not None:
                figures.oldest_pending_seconds[row["channel"]] = _age(self.now, row["oldest"]) or 0.0
        if last_failed:
            for pk, error in Notification.objects.filter(pk__in=list(last_failed)).values_list("pk", "last_error"):
                figures, channel = last_failed[pk]
                figures.failing[channel].last_error = error

    def connections(self) -> None:
        def add(org_id: int, provider: str, health: str) -> None:
            figures = self.figures.get(org_id) if self.per_org else self.figures[ALL]
            if figures is not None:
                key = (provider, health)
                figures.connections[key] = figures.connections.get(key, 0) + 1

        # An API key connection with no error is active without asking connection_health: counted in SQL,
        # so thousands of healthy connections cost one small query; the rest are judged one by one.
        plainly_active = Q(
            status=PagerDutyConnection.Status.ACTIVE, last_error="", auth_type=PagerDutyConnection.AuthType.API_KEY
        )
        for row in self.rows(PagerDutyConnection.objects.filter(plainly_active), n=Count("id")):
            figures = self.of(row)
            if figures is not None and row["n"]:
                figures.connections[("pagerduty", "active")] = row["n"]
        for connection in PagerDutyConnection.objects.exclude(plainly_active).only(*_HEALTH_FIELDS).order_by():
            add(connection.organization_id, "pagerduty", connection_health(connection, name_fixers=False).state)
        slack = SlackConnection.objects.values_list("organization_id", "status", "last_error", "last_error_transient")
        for org_id, status, last_error, transient in slack.order_by():
            if status == SlackConnection.Status.NEEDS_REAUTH or (last_error and not transient):
                health = "action_needed"
            else:
                health = "degraded" if last_error else "active"
            add(org_id, "slack", health)


def snapshot(*, per_organization: bool = False, now: datetime | None = None) -> Snapshot:
    """The figures and beat's last runs, in at most twelve queries whatever the number of organizations."""
    reader = _Reader(now or timezone.now(), per_organization)
    reader.sync_lag()
    reader.webhooks()
    reader.notifications()
    reader.connections()
    beat = dict(PeriodicRun.objects.values_list("task", "last_run_at"))
    return Snapshot(at=reader.now, figures=reader.figures, beat=beat)
