"""`/metrics`: the database's figures (read at scrape time through `ops.selectors`, a fixed number of
queries) beside the counters processes increment (`config.metrics`, added up across processes in
prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
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
        figures = snap.figures[selectors.ALL]

        yield GaugeMetricFamily(
            "roster_sync_lag_seconds",
            "The oldest bound rotation's time since its last successful PagerDuty sync (0 when none is bound).",
            value=figures.sync_lag_seconds or 0.0,
        )
        yield _family(
            CounterMetricFamily,
            "roster_webhook_deliveries",
            "PagerDuty webhook deliveries stored, by outcome (the delivery's status; counted in the database).",
            ["outcome"],
            {(status,): n for status, n in figures.webhook_deliveries.items()},
        )
        yield GaugeMetricFamily(
            "roster_webhook_backlog",
            "Webhook deliveries received and not yet processed.",
            value=figures.webhook_backlog,
        )
        yield GaugeMetricFamily(
            "roster_webhook_oldest_waiting_seconds",
            "Age of the oldest unprocessed webhook delivery (0 when none waits).",
            value=figures.webhook_oldest_waiting_seconds or 0.0,
        )
        yield GaugeMetricFamily(
            "roster_webhook_held",
            "Webhook deliveries held until a signing secret is saved.",
            value=figures.webhook_held,
        )
        yield _family(
            CounterMetricFamily,
            "roster_notifications",
            "Notifications (Slack, email, outgoing webhooks) by channel and status (counted in the database).",
            ["channel", "status"],
            {key: float(n) for key, n in figures.notifications.items()},
        )
        yield GaugeMetricFamily(
            "roster_notifications_pending",
            "Notifications waiting to be sent or being sent.",
            value=figures.notifications_pending,
        )
        yield _family(
            GaugeMetricFamily,
            "roster_notification_oldest_pending_seconds",
            "Age of the oldest notification still waiting, by channel.",
            ["channel"],
            {(channel,): age for channel, age in figures.oldest_pending_seconds.items()},
        )
        yield _family(
            GaugeMetricFamily,
            "roster_connections",
            "Provider connections by health.",
            ["provider", "health"],
            {(p, h): figures.connections.get((p, h), 0) for p in PROVIDERS for h in HEALTH_STATES},
        )
        yield _family(
            GaugeMetricFamily,
            "roster_beat_last_run_timestamp_seconds",
            "When a worker last started each periodic job (Unix time).",
            ["task"],
            {(task,): at.timestamp() for task, at in snap.beat.items()},
        )
        try:
            lengths = celery_queue_lengths()
        except Exception:  # the broker is down: roster_ready{part="broker"} says so
            lengths = {}
        yield _family(
            GaugeMetricFamily,
            "roster_celery_queue_length",
            "Tasks waiting in the broker.",
            ["queue"],
            {(queue,): n for queue, n in lengths.items()},
        )
        yield _family(
            GaugeMetricFamily,
            "roster_ready",
            "1 when the part is ready (as /readyz checks it), else 0.",
            ["part"],
            {(part.name,): 1 if part.ok else 0 for part in readiness.check()},
        )


def _family(kind, name: str, documentation: str, labels: list[str], values: dict[tuple[str, ...], float]) -> Metric:
    family = kind(name, documentation, labels=labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


def scrape() -> bytes:
    """The Prometheus text exposition: every process's counters and the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCounters())
    registry.register(RosterCollector())
    return generate_latest(registry)


class _ProcessCounters(Collector):
    """This process's counters from the default registry (no multiprocess directory: tests, one process)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
