"""Celery tasks: take primary keys, re-fetch, return quietly if the row is gone. The work is in
services.py (read its docstring for how handoffs become delivered notifications)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from config.celery import enqueue_each, enqueue_or_log

from . import cover_events, registry, services
from . import upcoming as upcoming_module

log = logging.getLogger(__name__)

SHORT_WAIT = 60  # seconds: a later retry is queued by the sweep when due (no hours-long countdowns)


def nudge(sender=None, *, handoff_id: int, **kwargs) -> None:
    """rotations.signals.handoff_recorded, after the commit: fan it out now (the sweep catches a lost one)."""
    enqueue_or_log(fan_out, handoff_id, what=f"the notifications of handoff {handoff_id}; the sweep will")


def enqueue_deliveries(ids: list[int], *, delay: float = 0) -> int:
    """Queue one delivery task per row; a row whose message could not be queued waits for the sweep."""
    queued = enqueue_each(deliver, ids, delay=delay, what="notification")
    if queued:
        services.notifications_mark_queued(ids=queued, at=timezone.now() + dt.timedelta(seconds=delay))
    return len(queued)


def resend(ids: Iterable[int], *, actor: Actor | None) -> list[int]:
    """An admin's Resend (Django admin, an endpoint's delivery log): reset the rows, queue them on commit."""
    resent = services.notifications_resend(ids=ids, actor=actor)
    transaction.on_commit(lambda: enqueue_deliveries(resent))
    return resent


def nudge_shifts(sender=None, *, rotation_ids: list[int], **kwargs) -> None:
    """rotations.signals.shifts_changed, after the commit: these rotations' shifts changed; look for moved ones now."""
    enqueue_or_log(shifts_changed, rotation_ids, what=f"the moved-shift scan of rotations {rotation_ids}; beat will")


def cover_nudge(sender=None, *, event: str, cover_request_id: int, **kwargs) -> None:
    """covers.signals.cover_request_changed listener (after the commit): queue the event's fan-out,
    so the person's request (a take, an ask) does not wait for every channel's rows. Never raises:
    a message that cannot be queued is logged, and the sweep makes the rows of the event."""
    what = f"the notifications of cover request {cover_request_id} ({event}); the sweep will"
    enqueue_or_log(cover_fan_out, cover_request_id, event, what=what)


@shared_task(acks_late=True)
def cover_fan_out(cover_request_id: int, event: str) -> int:
    """Make a cover request event's rows and queue them. A failure is logged, never retried here:
    the sweep fans out every event that has no marker yet."""
    try:
        ids = cover_events.cover_event_fan_out(cover_request_id=cover_request_id, event=event)
    except Exception:
        log.exception(
            "Could not make the notifications of cover request %s (%s); the sweep will", cover_request_id, event
        )
        return 0
    return enqueue_deliveries(ids)


@shared_task(acks_late=True)
def fan_out(handoff_id: int) -> int:
    return enqueue_deliveries(services.notifications_fan_out(handoff_id=handoff_id))


# A channel's call is bounded by its own timeout (webhooks: 5 s); the limits only catch a stuck worker.
@shared_task(acks_late=True, soft_time_limit=30, time_limit=60)
def deliver(notification_id: int) -> str:
    outcome = services.notification_deliver(notification_id=notification_id)
    if outcome.retry_in is not None and outcome.retry_in <= SHORT_WAIT:
        enqueue_deliveries([notification_id], delay=outcome.retry_in)
    if outcome.status != "not_due":
        # A serial channel's target is free again: its next waiting row goes now (one in flight per target).
        following = services.next_in_line(notification_id=notification_id, now=timezone.now())
        if following is not None:
            enqueue_deliveries([following])
    return str(outcome.status)


@shared_task
def sweep() -> dict[str, int]:
    """Beat, every minute: fan out handoffs (and cover requests' events) no nudge reached, run each channel's own scan (outgoing
    relays incident events no listener reached, frees endpoints a dead worker left busy), put rows
    a dead worker left `sending` back to pending, and queue waiting rows whose message never ran
    (of a serial channel, round-robin across its targets)."""
    now = timezone.now()
    counts: dict[str, int] = {}
    for channel in registry.channels():
        try:
            for name, count in channel.sweep(now).items():
                if count:  # only what happened, by name ("relayed": incident events relayed)
                    counts[name] = counts.get(name, 0) + count
        except Exception:
            log.exception("The %s channel's sweep failed", channel.key)
    made: list[int] = []
    handoffs = list(services.handoffs_to_fan_out(now=now).values_list("id", flat=True)[: services.SWEEP_BATCH])
    for handoff_id in handoffs:  # all of them before any is queued: a later one supersedes an earlier one
        made += services.notifications_fan_out(handoff_id=handoff_id)
    fanned = len(handoffs)
    covers = cover_events.cover_events_to_fan_out(now=now)
    for cover_request_id, event in covers:
        try:
            made += cover_events.cover_event_fan_out(cover_request_id=cover_request_id, event=event)
        except Exception:
            log.exception("Could not make the notifications of cover request %s (%s)", cover_request_id, event)
    if covers:
        counts["coverEvents"] = len(covers)
    stuck = services.notifications_requeue_stuck(now=now)
    due = services.notifications_due(now=now)
    queued = enqueue_deliveries(sorted(set(made) | set(due)))
    if fanned or stuck or queued or counts:
        log.info(
            "Notification sweep: %s handoffs fanned out, %s stuck rows reset, %s queued, %s",
            fanned,
            stuck,
            queued,
            counts,
        )
    return {"fannedOut": fanned, "stuck": stuck, "queued": queued, **counts}


@shared_task
def upcoming() -> dict[str, int]:
    """Beat, every minute: make the reminders of shifts about to start and the rows of shifts that
    moved (see upcoming.py), and queue them."""
    now = timezone.now()
    reminders = upcoming_module.upcoming_scan(now=now)
    moved = upcoming_module.shift_changes_scan(now=now)
    queued = enqueue_deliveries(sorted(set(reminders) | set(moved)))
    if reminders or moved:
        log.info(
            "Upcoming shifts: %s reminders, %s moved-shift notifications, %s queued", len(reminders), len(moved), queued
        )
    return {"reminders": len(reminders), "moved": len(moved), "queued": queued}


@shared_task
def shifts_changed(rotation_ids: list[int]) -> int:
    """After a sync changed these rotations' shifts: diff them now rather than at the next minute."""
    return enqueue_deliveries(upcoming_module.shift_changes_scan(rotation_ids=rotation_ids))
