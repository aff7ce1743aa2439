"""Celery tasks: take primary keys, re-fetch, return quietly if the row is gone. The work lives in
processing.py."""

import logging
from collections import Counter

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from integrations.connections import enqueue_each
from integrations.pagerduty import client as pd
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for

from . import processing, selectors, services
from .models import Delivery, Incident, WebhookEndpoint
from .queueing import queue_deliveries

log = logging.getLogger(__name__)
# Deliveries per message the sweeper sends: enough to save per-message overhead, few enough that
# both worker processes share a backlog.
SWEEP_MESSAGE_SIZE = 50
# Seconds the daily subscription check waits for room in the credential's background budget.
SUBSCRIPTION_CHECK_BUDGET_WAIT = 5.0


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


@shared_task
def start_subscription_checks() -> int:
    """Beat, once a day: one check per endpoint with a recorded PagerDuty subscription whose
    organization's connection is usable (each its own task: one failing stops no other)."""
    return enqueue_each(
        WebhookEndpoint.objects.exclude(subscription_id="").filter(
            organization__pagerduty_connection__status=PagerDutyConnection.Status.ACTIVE
        ),
        check_subscription,
    )


@shared_task
def check_subscription(endpoint_id: int) -> str:
    """Add to the recorded subscription the events Roster reads that it does not send (see
    services.webhook_subscription_bring_up_to_date). PagerDuty's trouble waits for tomorrow's run."""
    endpoint = WebhookEndpoint.objects.select_related("organization").filter(pk=endpoint_id).first()
    if endpoint is None:
        return "gone"
    connection = get_connection(endpoint.organization)
    if connection is None or connection.status != PagerDutyConnection.Status.ACTIVE:
        return "not connected"
    client = client_for(connection, background=True, budget_wait=SUBSCRIPTION_CHECK_BUDGET_WAIT)
    return services.webhook_subscription_bring_up_to_date(endpoint=endpoint, client=client).outcome
