"""Queue webhook work for the worker, by task name.

This module imports no task module, so the receiver's relay, processing, services and the tasks
themselves all queue through it without importing one another in a circle. A broker failure is
logged, never raised: the work is already stored, and the sweeper queues it again.
"""

from __future__ import annotations

from config.celery import app, enqueue_or_log

from .models import Delivery

PROCESS_DELIVERIES = "webhooks.tasks.process_deliveries"
FETCH_INCIDENT = "webhooks.tasks.fetch_incident"


def queue_deliveries(delivery_ids: list[int]) -> bool:
    """Queue stored deliveries for processing, as one message. On a broker failure the rows are
    flagged, and the sweeper queues them again within WEBHOOK_SWEEP_AFTER_SECONDS."""
    what = f"{len(delivery_ids)} webhook deliveries ({delivery_ids[0]}…); the sweeper will pick them up"
    if enqueue_or_log(app.signature(PROCESS_DELIVERIES), list(delivery_ids), what=what):
        return True
    Delivery.objects.filter(pk__in=delivery_ids).update(enqueue_failed=True)
    return False


def queue_fetch(incident_id: int) -> None:
    """Fill an incident known only by reference from PagerDuty's API."""
    enqueue_or_log(app.signature(FETCH_INCIDENT), incident_id, what=f"a fetch of incident {incident_id}")
