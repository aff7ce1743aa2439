"""How soon a change made in PagerDuty shows in Roster, for every organization at once (issue 26).

PagerDuty sends no webhook for schedule or override changes, so Roster polls, cheaply:

- **Each organization has its own queue** of schedules due for a full re-read (`DueSchedule`), drained
  by its own task (`drain`) within its PagerDuty credential's request budget (budget.py, shared by
  every process), most urgent first: a re-read someone asked for, then a change the poll noticed,
  then the periodic sync. One organization's 500 schedules never wait in front of another's 5, and no
  organization spends another's budget.
- **The change poll** (`poll_changes`, every ROSTER_CHANGE_POLL_SECONDS per connection) reads the next
  ROSTER_CHANGE_LOOKAHEAD_DAYS of on-call entries of all the organization's bound schedules through
  `GET /oncalls` (25 schedules a query, 100 entries a page), compares them with the stored shifts and
  marks only the schedules that differ as due (priority CHANGED). A schedule no escalation policy uses
  is absent from /oncalls: the periodic full sync (every ROSTER_SYNC_INTERVAL, the whole
  ROSTER_SYNC_LOOKAHEAD_DAYS window) keeps it fresh, and the poll puts one not read for a sync interval
  ahead of the periodic queue (priority UNSEEN), so a large queue does not make it wait longer. Credentials that may not read /oncalls (an OAuth
  grant without `oncalls.read`, a 403) fall back to re-reading whole schedules, the least recently
  synced first, as many per poll as half the budget allows; the card says so.
- Comparing: per person, the union of their on-call time clipped to the poll's window, on both sides
  (PagerDuty may split or list a shift once per escalation level; gaps are no one's time).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict

from django.conf import settings
from django.db.models import F, Min, Q
from django.utils import timezone

from config import limits, metrics
from integrations.pagerduty import client as pd
from integrations.pagerduty.budget import Budget, BudgetSpent
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import (
    client_for,
    connection_record_change_poll,
    connection_record_refetch_wait,
    oncalls_capability,
)

from . import sync
from .models import DueSchedule, Rotation, Shift
from .selectors import bound_schedule_ids, fallback_batch

log = logging.getLogger(__name__)

Priority = DueSchedule.Priority
CLAIM = dt.timedelta(minutes=2)  # a drain that died lets its claimed schedule go after this


def organizations_with_bound_schedules() -> list[int]:
    return list(
        Rotation.objects.exclude(pagerduty_schedule_id="")
        .values_list("organization_id", flat=True)
        .distinct()
        .order_by("organization_id")
    )


# --- the queue ---------------------------------------------------------------------------------


def mark_due(*, organization_id: int, schedule_ids: list[str], priority: int, now: dt.datetime | None = None) -> None:
    """Put schedules in the organization's queue (a schedule already there keeps the more urgent
    priority; one marked CHANGED or NOW again is re-read again even if a re-read is under way)."""
    if not schedule_ids:
        return
    now = now or timezone.now()
    DueSchedule.objects.bulk_create(
        [
            DueSchedule(organization_id=organization_id, schedule_id=sid, priority=priority, due_at=now, marked_at=now)
            for sid in schedule_ids
        ],
        ignore_conflicts=True,
    )
    rows = DueSchedule.objects.filter(organization_id=organization_id, schedule_id__in=schedule_ids)
    rows.filter(priority__gt=priority).update(priority=priority, due_at=now, marked_at=now)
    if priority < Priority.PERIODIC:
        rows.filter(marked_at__lt=now).update(marked_at=now)


def mark_all_due(*, now: dt.datetime | None = None) -> list[int]:
    """The periodic sync: every bound schedule of every organization joins its organization's queue."""
    organizations = organizations_with_bound_schedules()
    for organization_id in organizations:
        mark_due(
            organization_id=organization_id,
            schedule_ids=bound_schedule_ids(organization_id),
            priority=Priority.PERIODIC,
            now=now,
        )
    return organizations


def _unclaimed(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _waiting(organization_id: int) -> bool:
    return DueSchedule.objects.filter(_unclaimed(timezone.now()), organization_id=organization_id).exists()


def _claim_next(organization_id: int, *, periodic: bool) -> DueSchedule | None:
    now = timezone.now()
    rows = DueSchedule.objects.filter(_unclaimed(now), organization_id=organization_id)
    if not periodic:
        rows = rows.filter(priority__lt=Priority.PERIODIC)
    for row in rows.order_by("priority", "due_at", "pk")[:5]:
        taken = DueSchedule.objects.filter(_unclaimed(now), pk=row.pk, marked_at=row.marked_at).update(
            claimed_until=now + CLAIM
        )
        if taken:
            return row
    return None


def _finish(row: DueSchedule) -> None:
    """Re-read: out of the queue, unless it was marked again meanwhile (then it is read again)."""
    if not DueSchedule.objects.filter(pk=row.pk, marked_at=row.marked_at).delete()[0]:
        DueSchedule.objects.filter(pk=row.pk).update(claimed_until=None)


def _release(row: DueSchedule, *, after: float = 0.0) -> None:
    """Back in the queue; after a failure (`after` seconds) behind the others of its priority."""
    if after <= 0:
        DueSchedule.objects.filter(pk=row.pk).update(claimed_until=None)
        return
    later = timezone.now() + dt.timedelta(seconds=after)
    DueSchedule.objects.filter(pk=row.pk).update(claimed_until=later, due_at=later)


def done_now(*, organization_id: int, schedule_id: str, started: dt.datetime) -> None:
    """A re-read outside the queue (Sync now) finished: a queue entry marked before it began is done."""
    DueSchedule.objects.filter(organization_id=organization_id, schedule_id=schedule_id, marked_at__lte=started).filter(
        _unclaimed(timezone.now())
    ).delete()


# --- the drain ---------------------------------------------------------------------------------


def poll_reserve(connection: PagerDutyConnection) -> int:
    """Room the periodic sync leaves in the budget: the next change poll's requests (the last ones
    are in the window already)."""
    return connection.change_poll_requests + 5


def drain(*, organization_id: int, max_seconds: float = 10.0, block: float = 2.0) -> float | None:
    """Re-read the organization's due schedules, most urgent first, as many as its budget allows
    within `max_seconds`. Returns None when its queue is empty, else the seconds after which to come
    back. One drain per organization at a time (a lease every process sees)."""
    storage = limits.shared_limiter().storage
    lease = f"roster-drain/{organization_id}"
    for _ in range(2):
        if storage.incr(lease, int(max_seconds) + 120) != 1:
            return None  # another process drains this organization right now; it empties the queue
        try:
            wait = _drain(organization_id, max_seconds=max_seconds, block=block)
        finally:
            storage.clear(lease)
        if wait is not None or not _waiting(organization_id):
            return wait
    return 1.0


def _drain(organization_id: int, *, max_seconds: float, block: float) -> float | None:
    connection = get_connection(organization_id)
    try:
        client = sync._usable_client(connection)
    except sync.SyncBlocked:
        # Not connected, or credentials refused: record that on each rotation (no PagerDuty call).
        for due in DueSchedule.objects.filter(organization_id=organization_id):
            sync.sync_schedule(organization_id=organization_id, schedule_id=due.schedule_id)
            due.delete()
        return None
    assert connection is not None
    budget = Budget.for_connection(connection)
    client.budget, client.budget_wait = budget, block
    directory = sync.UserDirectory(organization_id)
    reserve = poll_reserve(connection)
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        available = budget.available()
        row = _claim_next(organization_id, periodic=available > reserve) if available > 0 else None
        if row is None:
            if not _waiting(organization_id):
                return None
            return min(max(budget.wait(), 1.0), 30.0)
        try:
            sync.sync_schedule(
                organization_id=organization_id, schedule_id=row.schedule_id, client=client, users=directory
            )
        except BudgetSpent as spent:
            _release(row)
            return float(spent.retry_after or 1.0)
        except pd.PagerDutyError as error:  # rate-limited by PagerDuty, or PagerDuty down: recorded
            wait = float(error.retry_after or 30.0)
            _release(row, after=wait)
            return wait
        _finish(row)
        if row.priority in (Priority.NOW, Priority.CHANGED):
            waited = (timezone.now() - row.due_at).total_seconds()
            connection_record_refetch_wait(connection_id=connection.pk, seconds=waited)
            source = "cover_request" if row.priority == Priority.NOW else "change_poll"
            metrics.CHANGE_VISIBLE.labels(source=source).observe(max(waited, 0.0))
    return 0.5


# --- the change poll ---------------------------------------------------------------------------


class _Counted:
    """The budget, counting the requests one poll sends."""

    def __init__(self, budget: Budget):
        self.budget, self.sent = budget, 0

    def take(self, *, block: float = 0.0) -> None:
        self.budget.take(block=block)
        self.sent += 1

    def observe(self, status: int, headers) -> None:
        self.budget.observe(status, headers)


def _person_time(entries, since: dt.datetime, until: dt.datetime) -> frozenset:
    """Per person, the union of their time in [since, until): PagerDuty's split or repeated entries
    and Roster's stored shifts compare equal when they put the same people on call at the same times."""
    by_person = defaultdict(list)
    for who, start, end in entries:
        clipped = (max(start, since), min(end, until))
        if who and clipped[1] > clipped[0]:
            by_person[who].append(clipped)
    merged = set()
    for who, spans in by_person.items():
        spans.sort()
        current_start, current_end = spans[0]
        for start, end in spans[1:]:
            if start <= current_end:
                current_end = max(current_end, end)
            else:
                merged.add((who, current_start, current_end))
                current_start, current_end = start, end
        merged.add((who, current_start, current_end))
    return frozenset(merged)


def _stored_person_time(organization_id: int, since: dt.datetime, until: dt.datetime) -> dict[str, list[frozenset]]:
    """Schedule id → each bound rotation's stored person time in the window."""
    rotations = dict(
        Rotation.objects.filter(organization_id=organization_id)
        .exclude(pagerduty_schedule_id="")
        .values_list("pk", "pagerduty_schedule_id")
    )
    shifts = defaultdict(list)
    for rotation_id, who, start, end in Shift.objects.filter(
        rotation_id__in=list(rotations), is_gap=False, end__gt=since, start__lt=until
    ).values_list("rotation_id", "pagerduty_user_id", "start", "end"):
        shifts[rotation_id].append((who, start, end))
    stored = defaultdict(list)
    for rotation_id, schedule_id in rotations.items():
        stored[schedule_id].append(_person_time(shifts[rotation_id], since, until))
    return stored


def _least_recently_synced(organization_id: int, count: int) -> list[str]:
    return list(
        Rotation.objects.filter(organization_id=organization_id)
        .exclude(pagerduty_schedule_id="")
        .values("pagerduty_schedule_id")
        .annotate(oldest=Min("last_sync_at"))
        .order_by(F("oldest").asc(nulls_first=True), "pagerduty_schedule_id")
        .values_list("pagerduty_schedule_id", flat=True)[:count]
    )


def _not_read_for_a_sync_interval(organization_id: int, schedule_ids: set[str], now: dt.datetime) -> list[str]:
    if not schedule_ids:
        return []
    stale = now - dt.timedelta(seconds=settings.ROSTER_SYNC_INTERVAL)
    return list(
        Rotation.objects.filter(organization_id=organization_id, pagerduty_schedule_id__in=schedule_ids)
        .values("pagerduty_schedule_id")
        .annotate(oldest=Min("last_sync_at"))
        .filter(Q(oldest__isnull=True) | Q(oldest__lt=stale))
        .values_list("pagerduty_schedule_id", flat=True)
    )


def poll_changes(*, organization_id: int, now: dt.datetime | None = None, block: float = 5.0) -> int:
    """One change poll of the organization's bound schedules; returns how many it marked due."""
    schedule_ids = bound_schedule_ids(organization_id)
    connection = get_connection(organization_id)
    if not schedule_ids or connection is None or connection.status != PagerDutyConnection.Status.ACTIVE:
        return 0  # the periodic sync records why on each rotation
    now = now or timezone.now()
    started = time.monotonic()
    Detection = PagerDutyConnection.ChangeDetection
    changed: list[str] = []
    counted = _Counted(Budget.for_connection(connection))
    detection = Detection.ONCALLS
    if oncalls_capability(connection) == "no":
        detection = Detection.FULL_FETCHES
    else:
        client = client_for(connection)
        client.budget, client.budget_wait = counted, block
        since = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
        until = since + dt.timedelta(days=settings.ROSTER_CHANGE_LOOKAHEAD_DAYS)
        try:
            seen = client.list_oncalls(schedule_ids, since, until)
        except pd.Forbidden:
            detection = Detection.FULL_FETCHES
        except pd.PagerDutyError as error:
            log.info("Change poll for organization %s stopped: %s", organization_id, error.code)
            return 0
        else:
            stored = _stored_person_time(organization_id, since, until)
            for schedule_id, entries in seen.items():
                found = _person_time(entries, since, until)
                if any(each != found for each in stored.get(schedule_id, [])):
                    changed.append(schedule_id)
            # What /oncalls cannot see relies on full reads: ahead of the periodic queue once due.
            unseen = _not_read_for_a_sync_interval(organization_id, set(schedule_ids) - set(seen), now)
            mark_due(organization_id=organization_id, schedule_ids=unseen, priority=Priority.UNSEEN, now=now)
    if detection == Detection.FULL_FETCHES:
        changed = _least_recently_synced(organization_id, fallback_batch())
    mark_due(
        organization_id=organization_id,
        schedule_ids=changed,
        priority=Priority.CHANGED if detection == Detection.ONCALLS else Priority.PERIODIC,
        now=now,
    )
    connection_record_change_poll(
        connection=connection, detection=detection, at=now, seconds=time.monotonic() - started, requests=counted.sent
    )
    return len(changed)
