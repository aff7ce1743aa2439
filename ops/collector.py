"""`/metrics`: the database's figures (read at scrape time through `ops.selectors`, a fixed number of
queries) beside the counters processes increment (`config.metrics`, added up across processes in
prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from . import readiness, selectors

HEALTH_STATES = ("active", "degraded", "action_needed")
PROVIDERS = ("pagerduty", "slack")


def celery_queue_lengths() -> dict[str, int]:
    """Messages waiting in the broker's queues (Redis only: the embedded broker has no cheap count)."""
    from config.celery import app

    if not str(app.conf.broker_url).startswith(("redis://", "rediss://")):
        return {}
    queue = app.conf.task_default_queue or "celery"
    with app.connection_for_read() as conn:
        return {queue: int(conn.default_channel.client.llen(queue))}  # type: ignore[attr-defined]


class RosterCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        snap = selectors.snapshot()
        orgs = list(snap.organizations.values())

        lags = [o.sync_lag_seconds for o in orgs if o.sync_lag_seconds is not None]
        lag = GaugeMetricFamily(
            "roster_sync_lag_seconds",
            "The oldest bound rotation's time since its last successful PagerDuty sync (0 when none is bound).",
        )
        lag.add_metric([], max(lags, default=0.0))
        yield lag

        deliveries = CounterMetricFamily(
            "roster_webhook_deliveries",
            "PagerDuty webhook deliveries stored, by outcome (the delivery's status; counted in the database).",
            labels=["outcome"],
        )
        by_status: dict[str, int] = defaultdict(int)
        for o in orgs:
            for status, n in o.webhook_deliveries.items():
                by_status[status] += n
        for status, n in sorted(by_status.items()):
            deliveries.add_metric([status], n)
        yield deliveries
        yield _gauge(
            "roster_webhook_backlog",
            "Webhook deliveries received and not yet processed.",
            sum(o.webhook_backlog for o in orgs),
        )
        yield _gauge(
            "roster_webhook_oldest_waiting_seconds",
            "Age of the oldest unprocessed webhook delivery.",
            max((o.webhook_oldest_waiting_seconds or 0.0 for o in orgs), default=0.0),
        )
        yield _gauge(
            "roster_webhook_held",
            "Webhook deliveries held until a signing secret is saved.",
            sum(o.webhook_held for o in orgs),
        )

        notifications = CounterMetricFamily(
            "roster_notifications",
            "Notifications (Slack, email, outgoing webhooks) by channel and status (counted in the database).",
            labels=["channel", "status"],
        )
        by_key: dict[tuple[str, str], int] = defaultdict(int)
        oldest: dict[str, float] = defaultdict(float)
        for o in orgs:
            for key, n in o.notifications.items():
                by_key[key] += n
            for channel, age in o.oldest_pending_seconds.items():
                oldest[channel] = max(oldest[channel], age)
        for (channel, status), n in sorted(by_key.items()):
            notifications.add_metric([channel, status], n)
        yield notifications
        yield _gauge(
            "roster_notifications_pending",
            "Notifications waiting to be sent or being sent.",
            sum(o.notifications_pending for o in orgs),
        )
        pending_age = GaugeMetricFamily(
            "roster_notification_oldest_pending_seconds",
            "Age of the oldest notification still waiting, by channel.",
            labels=["channel"],
        )
        for channel, age in sorted(oldest.items()):
            pending_age.add_metric([channel], age)
        yield pending_age

        connections = GaugeMetricFamily(
            "roster_connections", "Provider connections by health.", labels=["provider", "health"]
        )
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for o in orgs:
            for provider, state in o.connections.items():
                counts[(provider, state)] += 1
        for provider in PROVIDERS:
            for state in HEALTH_STATES:
                connections.add_metric([provider, state], counts[(provider, state)])
        yield connections

        beat = GaugeMetricFamily(
            "roster_beat_last_run_timestamp_seconds",
            "When a worker last started each periodic job (Unix time).",
            labels=["task"],
        )
        for task, at in sorted(snap.beat.items()):
            beat.add_metric([task], at.timestamp())
        yield beat

        queues = GaugeMetricFamily("roster_celery_queue_length", "Tasks waiting in the broker.", labels=["queue"])
        try:
            lengths = celery_queue_lengths()
        except Exception:  # the broker is down: roster_ready{part="broker"} says so
            lengths = {}
        for queue, n in lengths.items():
            queues.add_metric([queue], n)
        yield queues

        ready = GaugeMetricFamily(
            "roster_ready", "1 when the part is ready (as /readyz checks it), else 0.", labels=["part"]
        )
        for part in readiness.check():
            ready.add_metric([part.name], 1 if part.ok else 0)
        yield ready


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def scrape() -> bytes:
    """The Prometheus text exposition: every process's counters and the database's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessCounters())
    registry.register(RosterCollector())
    return generate_latest(registry)


class _ProcessCounters(Collector):
    """This process's counters from the default registry (no multiprocess directory: tests, one process)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
