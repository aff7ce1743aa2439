"""Celery tasks: take primary keys, re-fetch, return quietly if the row is gone. The work lives in
processing.py."""

import logging
from collections import Counter

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from integrations.pagerduty import client as pd
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for

from . import processing, selectors
from .models import Delivery, Incident
from .queueing import queue_deliveries

log = logging.getLogger(__name__)
# Deliveries per message the sweeper sends: enough to save per-message overhead, few enough that
# both worker processes share a backlog.
SWEEP_MESSAGE_SIZE = 50


@shared_task(acks_late=True)
def process_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Process a batch of stored deliveries (the relay and the sweeper queue batches: one message
    per batch, not per delivery). Each is processed on its own; one failing fails only itself."""
    return dict(Counter(str(processing.process_delivery(delivery_id)) for delivery_id in delivery_ids))


@shared_task(autoretry_for=(pd.RateLimited, pd.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def fetch_incident(incident_id: int) -> str:
    """Fill an incident known only by reference (a custom-field event came first) from the API."""
    incident = Incident.objects.select_related("organization").filter(pk=incident_id).first()
    if incident is None or not incident.is_stub:
        return "gone" if incident is None else "known"
    connection = get_connection(incident.organization)
    if connection is None:
        return "not connected"
    try:
        data = client_for(connection).get_incident(incident.pagerduty_id)
    except pd.PagerDutyError as error:
        if not error.permanent:
            raise
        log.info("Could not fetch incident %s from PagerDuty: %s", incident.pagerduty_id, error.code)
        return error.code
    processing.apply_fetched_incident(incident.pk, data, timezone.now())
    return "fetched"


@shared_task
def sweep_deliveries() -> int:
    """Beat, every minute: queue stored-but-unprocessed deliveries (see unprocessed_deliveries)."""
    ids = list(selectors.unprocessed_deliveries().values_list("id", flat=True)[: settings.WEBHOOK_SWEEP_BATCH])
    queued: list[int] = []
    for start in range(0, len(ids), SWEEP_MESSAGE_SIZE):
        batch = ids[start : start + SWEEP_MESSAGE_SIZE]
        if queue_deliveries(batch):
            queued += batch
    Delivery.objects.filter(pk__in=queued, enqueue_failed=True).update(enqueue_failed=False)
    if ids:
        log.info("Sweeper queued %s of %s unprocessed webhook deliveries", len(queued), len(ids))
    return len(queued)
