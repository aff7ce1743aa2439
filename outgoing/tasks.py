"""Celery tasks: take primary keys, re-fetch, return quietly when the row is gone. The work is in
services.py (its docstring says how a delivery is tried, retried and kept fair)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import events, services
from .models import Delivery

log = logging.getLogger(__name__)

SHORT_WAIT = 60  # seconds


# The HTTP call is bounded by services.TIMEOUT (connect and read); the limits only catch a stuck worker.
@shared_task(acks_late=True, soft_time_limit=30, time_limit=60)
def deliver(delivery_id: int) -> str:
    result = services.delivery_attempt(delivery_id=delivery_id)
    if result == "not_due":
        return result
    row = Delivery.objects.filter(pk=delivery_id).values("endpoint_id", "next_attempt_at", "status").first()
    if row is None:
        return result
    if row["status"] == Delivery.Status.PENDING and row["next_attempt_at"]:
        wait = max((row["next_attempt_at"] - timezone.now()).total_seconds(), 0)
        if wait <= SHORT_WAIT:  # a later try is queued by the sweep when due (no hours-long countdowns)
            services.enqueue([delivery_id], delay=wait)
    # The endpoint is free again: its next waiting delivery goes now (one in flight per endpoint).
    next_id = services.next_due(endpoint_id=row["endpoint_id"], now=timezone.now())
    if next_id is not None:
        services.enqueue([next_id])
    return result


@shared_task
def sweep() -> dict[str, int]:
    """Beat, every minute: relay incident events whose listener never ran (events.py), free what a
    dead worker left busy, then queue the oldest due delivery of each idle endpoint (round-robin
    across endpoints)."""
    now = timezone.now()
    relayed = events.relay_missed_incident_events(now=now)
    stuck = services.requeue_stuck(now=now)
    queued = services.enqueue(services.due_round_robin(now=now))
    if relayed or stuck or queued:
        log.info(
            "Outgoing webhook sweep: %s incident events relayed, %s stuck rows reset, %s queued", relayed, stuck, queued
        )
    return {"relayed": relayed, "stuck": stuck, "queued": queued}
