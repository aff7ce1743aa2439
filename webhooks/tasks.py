"""Celery tasks: take primary keys, re-fetch, return quietly if the row is gone. The work lives in
processing.py."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import enqueue_or_log
from integrations.pagerduty import client as pd
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for

from . import processing
from .models import Delivery, Incident

log = logging.getLogger(__name__)
# Deliveries per message the sweeper sends: enough to save per-message overhead, few enough that
# both worker processes share a backlog.
SWEEP_MESSAGE_SIZE = 50


@shared_task(acks_late=True)
def process_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Process a batch of stored deliveries (the relay and the sweeper queue batches: one message
    per batch, not per delivery). Each is processed on its own; one failing fails only itself."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = str(processing.process_delivery(delivery_id))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task(acks_late=True)
def process_delivery(delivery_id: int) -> str | None:
    """One delivery: messages queued by an earlier release are still understood."""
    return processing.process_delivery(delivery_id)


def enqueue(delivery_ids: list[int]) -> bool:
    """Queue deliveries for processing, as one message. A broker failure is logged, never raised:
    the deliveries are already stored; they are flagged, and the sweeper queues them again."""
    what = f"{len(delivery_ids)} webhook deliveries ({delivery_ids[0]}…); the sweeper will pick them up"
    if enqueue_or_log(process_deliveries, list(delivery_ids), what=what):
        return True
    Delivery.objects.filter(pk__in=delivery_ids).update(enqueue_failed=True)
    return False


def enqueue_on_commit(delivery_id: int) -> None:
    """Once the current transaction commits, hand the delivery to the relay (see relay.py)."""
    from .relay import relay

    transaction.on_commit(lambda: relay.submit(delivery_id))


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


def queue_fetch(incident_id: int) -> None:
    enqueue_or_log(fetch_incident, incident_id, what=f"a fetch of incident {incident_id}")


def unprocessed_deliveries(*, now=None):
    """Stored deliveries to queue again: those whose queuing failed (after a few seconds), and any
    other left unprocessed or failed once it is stale (a lost message, a crash before queuing)."""
    now = now or timezone.now()
    due = Q(enqueue_failed=True, received_at__lt=now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)) | Q(
        received_at__lt=now - timedelta(seconds=settings.WEBHOOK_SWEEP_STALE_SECONDS)
    )
    return Delivery.objects.filter(processing.WAITING, due).order_by("received_at")


@shared_task
def sweep_deliveries() -> int:
    """Beat, every minute: queue stored-but-unprocessed deliveries (see unprocessed_deliveries)."""
    ids = list(unprocessed_deliveries().values_list("id", flat=True)[: settings.WEBHOOK_SWEEP_BATCH])
    queued: list[int] = []
    for start in range(0, len(ids), SWEEP_MESSAGE_SIZE):
        batch = ids[start : start + SWEEP_MESSAGE_SIZE]
        if enqueue(batch):
            queued += batch
    Delivery.objects.filter(pk__in=queued, enqueue_failed=True).update(enqueue_failed=False)
    if ids:
        log.info("Sweeper queued %s of %s unprocessed webhook deliveries", len(queued), len(ids))
    return len(queued)
