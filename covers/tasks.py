"""Celery tasks for cover requests. Each takes a primary key and calls a plain function in services.py.

`apply_cover` writes a taken request's change to PagerDuty when the take could not (PagerDuty
throttling or down): it retries with the client's retry policy (rotations.tasks.retry_delay: the wait
PagerDuty asked for, else backoff), and writes each override exactly once (the ids are stored at once;
a retry after a lost answer adopts the identical override). Its retries exhausted, whatever was written
is taken back and the request is open again. `expire` (beat, every minute) expires open requests
whose end passed, warns, an hour before the start, of those nobody took, and queues again a pending apply
whose message was lost.
"""

import logging

from celery import shared_task

from config.celery import enqueue_each
from integrations.pagerduty import client as pd
from rotations.tasks import MAX_RETRIES, retry_delay

from . import services

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def apply_cover(self, cover_request_id: int) -> str:
    try:
        cover_request = services.cover_request_apply(cover_request_id=cover_request_id)
    except (pd.RateLimited, pd.Unavailable) as error:
        if self.request.is_eager:
            return "retry_later"  # in-process mode: no worker to come back later
        if self.request.retries >= MAX_RETRIES:
            services.cover_request_apply_gave_up(cover_request_id=cover_request_id, error=error)
            return "gave_up"
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries, error)) from error
    if cover_request is None:
        return "gone"
    return cover_request.apply_state or cover_request.status


@shared_task
def expire() -> dict:
    warned = services.cover_requests_warn_expiring()
    expired = services.cover_requests_expire()
    requeued = enqueue_each(apply_cover, services.cover_requests_pending_lost(), what="cover request apply")
    return {"warned": warned, "expired": expired, "requeued": len(requeued)}


@shared_task
def time_off_covers() -> int:
    """Beat, every 10 minutes: cover requests for shifts inside people's time off (covers/time_off.py)."""
    from . import time_off

    return time_off.time_off_covers_open()
