"""Celery tasks for rotations. Each takes primary keys or ids and re-reads; the work is in sync.py.

Beat runs `start_sync` every ROSTER_SYNC_INTERVAL seconds: it enqueues one `sync_schedule` per
distinct (organization, PagerDuty schedule), so rotations bound to the same schedule share one
fetch. Beat runs `record_handoffs` every minute: native rotations' handoffs (and bound ones' from
their stored shifts) are recorded within a minute of happening. A throttled sync (429) comes back after the wait
PagerDuty asked for; PagerDuty being down retries with backoff; neither affects other schedules.
"""

import logging

from celery import shared_task
from django.conf import settings

from integrations.pagerduty import client as pd

from . import sync

log = logging.getLogger(__name__)

MAX_RETRIES = 8


def retry_delay(retries: int, error: pd.PagerDutyError) -> float:
    if isinstance(error, pd.RateLimited) and error.retry_after:
        return error.retry_after + 1
    return min(30 * 2**retries, 900)


@shared_task
def start_sync() -> int:
    pairs = sync.bound_schedules()
    for organization_id, schedule_id in pairs:
        sync_schedule.delay(organization_id, schedule_id)
    return len(pairs)


@shared_task
def record_handoffs() -> int:
    return sync.record_handoffs()


@shared_task(bind=True, max_retries=MAX_RETRIES, rate_limit=settings.ROSTER_SYNC_RATE_LIMIT, acks_late=True)
def sync_schedule(self, organization_id: int, schedule_id: str) -> str:
    try:
        run = sync.sync_schedule(organization_id=organization_id, schedule_id=schedule_id)
    except (pd.RateLimited, pd.Unavailable) as error:
        if self.request.is_eager:
            return "retry_later"  # in-process mode: no worker to come back later; the next sync will
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries, error)) from error
    if run is None:
        return "gone"
    return "ok" if run.ok else run.error_code
