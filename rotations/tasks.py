"""Celery tasks for rotations. Each takes primary keys or ids and re-reads; the work is in sync.py
and freshness.py.

Beat runs `start_sync` every ROSTER_SYNC_INTERVAL seconds: every bound schedule joins its
organization's queue (`DueSchedule`), and one `drain_schedules` per organization re-reads them within
that organization's PagerDuty budget (freshness.py), so one organization's queue never delays another's.
Beat runs `poll_changes` every ROSTER_CHANGE_POLL_SECONDS: one `poll_connection` per organization reads
its schedules' on-call entries (`GET /oncalls`) and queues only those that changed, ahead of the
periodic ones. `sync_schedule` is the immediate path (Sync now, a cover request's override): one
schedule re-read at once, outside the queue and the background budget. Beat runs `record_handoffs`
every minute. A throttled sync (429) comes back after the wait PagerDuty asked for; PagerDuty being
down retries with backoff; neither affects other schedules.
"""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from config import limits
from config.celery import enqueue_or_log
from integrations.pagerduty import client as pd

from . import freshness, sync

log = logging.getLogger(__name__)

MAX_RETRIES = 8


def retry_delay(retries: int, error: pd.PagerDutyError) -> float:
    if isinstance(error, pd.RateLimited) and error.retry_after:
        return error.retry_after + 1
    return min(30 * 2**retries, 900)


@shared_task
def start_sync() -> int:
    organizations = freshness.mark_all_due()
    for organization_id in organizations:
        drain_schedules.delay(organization_id)
    return len(organizations)


@shared_task
def poll_changes() -> int:
    organizations = freshness.organizations_with_bound_schedules()
    for organization_id in organizations:
        poll_connection.delay(organization_id)
    return len(organizations)


@shared_task(bind=True, acks_late=True)
def poll_connection(self, organization_id: int) -> int:
    storage = limits.shared_limiter().storage
    lease = f"roster-poll/{organization_id}"
    if storage.incr(lease, 120) != 1:
        return 0  # the previous poll of this organization is still running
    try:
        changed = freshness.poll_changes(organization_id=organization_id, block=0 if self.request.is_eager else 5)
    finally:
        storage.clear(lease)
    if changed:
        drain_schedules.delay(organization_id)
    return changed


@shared_task(bind=True, acks_late=True)
def drain_schedules(self, organization_id: int) -> str:
    eager = bool(self.request.is_eager)
    wait = freshness.drain(organization_id=organization_id, block=0 if eager else 2)
    if wait is None:
        return "empty"
    if not eager:  # in-process mode: no worker to come back later; the next beat will
        drain_schedules.apply_async((organization_id,), countdown=wait)
    return "later"


def request_reread(*, organization_id: int, schedule_id: str) -> None:
    """Re-read one schedule soon, ahead of the rest of the organization's queue and within its
    budget: a cover request's override, already shown by `sync.show_override`, confirmed from
    PagerDuty. Takes in the same schedule while it waits make one re-read, not one each. If the task
    queue is down, the row stays due and the next periodic sync drains it."""
    freshness.mark_due(organization_id=organization_id, schedule_ids=[schedule_id], priority=freshness.Priority.NOW)
    what = f"a re-read of schedule {schedule_id} for organization {organization_id}"
    transaction.on_commit(lambda: enqueue_or_log(drain_schedules, organization_id, what=what))


@shared_task
def record_handoffs() -> int:
    return sync.record_handoffs()


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def sync_schedule(self, organization_id: int, schedule_id: str) -> str:
    started = timezone.now()
    try:
        run = sync.sync_schedule(organization_id=organization_id, schedule_id=schedule_id)
    except (pd.RateLimited, pd.Unavailable) as error:
        if self.request.is_eager:
            return "retry_later"  # in-process mode: no worker to come back later; the next sync will
        raise self.retry(exc=error, countdown=retry_delay(self.request.retries, error)) from error
    if run is None:
        return "gone"
    if run.ok:
        freshness.done_now(organization_id=organization_id, schedule_id=schedule_id, started=started)
    return "ok" if run.ok else run.error_code
