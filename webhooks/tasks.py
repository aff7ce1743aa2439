"""Celery tasks: take primary keys, re-fetch, return quietly if the row is gone. The work lives in
processing.py."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import processing
from .models import Delivery

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def process_delivery(delivery_id: int) -> str | None:
    return processing.process_delivery(delivery_id)


def enqueue(delivery_id: int) -> bool:
    """Queue a delivery for processing. A broker failure is logged, never raised: the delivery is
    already stored, and the sweeper will queue it again."""
    try:
        process_delivery.apply_async((delivery_id,), retry=False)
    except Exception:
        log.warning("Could not queue webhook delivery %s; the sweeper will pick it up", delivery_id, exc_info=True)
        return False
    return True


def unprocessed_deliveries(*, older_than: timedelta):
    """Stored deliveries nobody has processed yet (or that failed and may be retried)."""
    cutoff = timezone.now() - older_than
    return Delivery.objects.filter(
        Q(status=Delivery.Status.RECEIVED) | Q(status=Delivery.Status.FAILED, attempts__lt=processing.MAX_ATTEMPTS),
        verified=True,
        received_at__lt=cutoff,
    ).order_by("received_at")


@shared_task
def sweep_deliveries() -> int:
    """Beat: queue every stored-but-unprocessed delivery older than a few seconds."""
    ids = list(
        unprocessed_deliveries(older_than=timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)).values_list(
            "id", flat=True
        )[: settings.WEBHOOK_SWEEP_BATCH]
    )
    queued = sum(enqueue(i) for i in ids)
    if ids:
        log.info("Sweeper queued %s of %s unprocessed webhook deliveries", queued, len(ids))
    return queued
