"""Cover requests' events → notifications (issue 25), through the one delivery engine.

covers.services sends `covers.signals.cover_request_changed(event, cover_request_id)` once each
change commits ("created", "taken", "cancelled", "expired", "expiring": an hour before the start,
nobody took it; "failed": a take accepted while PagerDuty was busy was refused later). The listener (`tasks.cover_nudge`, connected in apps.py) queues the task
`cover_fan_out`, which calls `cover_event_fan_out`: it asks each channel's `plan_cover(cover_request, event)` what
the event makes and inserts the rows (source "cover:<id>:<event>", a failure's with its moment, unique per
channel, target and kind: ignoring conflicts) with a `CoverFanout` marker in the same transaction. The listener can be
lost like a handoff's nudge (the process died between the commit and the call), so beat's sweep
(`tasks.sweep`) also fans out every event of the last SCAN_HOURS with no marker, found by the
request's timestamps (created_at, taken_at, cancelled_at, expired_at, expiry_warned_at, take_failed_at). Listener
and sweep overlapping make each row once.

Rows carry the request as it was at the event (`coverRequest`, the outgoing webhook's `data`);
Slack and email render the request as it is when they send (a message about an offer someone took
in the meantime says so). Kinds marked `while_open` (an offer by email, "nobody took it yet") are
skipped once the request is no longer open (services._skip_if_cover_closed).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef

from covers.api import cover_request_json
from covers.models import CoverRequest

from . import registry
from .models import CoverFanout, Notification
from .services import SCAN_HOURS, SWEEP_BATCH, notifications_create

log = logging.getLogger(__name__)

# When each event happened: the request's timestamp the sweep scans (in the order events happen).
EVENT_AT = {
    "created": "created_at",
    "expiring": "expiry_warned_at",
    "taken": "taken_at",
    "cancelled": "cancelled_at",
    "expired": "expired_at",
    "failed": "take_failed_at",
}


def source(cover_request_id: int, event: str, at: dt.datetime) -> str:
    """A request can fail one take after another: each failure is its own source, told once."""
    return f"cover:{cover_request_id}:{event}" + (f":{at.isoformat()}" if event == "failed" else "")


def people_told(cover: CoverRequest, event: str) -> set[str]:
    """Whom every channel tells of a "cancelled" (the taker, unless they cancelled it) or a "failed"
    (the requester and the taker) in person, as lower-case emails; nobody for another event."""
    people = {
        "cancelled": [cover.taker_email] if cover.taker_email.strip().lower() != cover.cancelled_by.lower() else [],
        "failed": [cover.requester_email, cover.failed_taker_email],
    }.get(event, [])
    return {email.strip().lower() for email in people} - {""}


WRITE_BACK = ("applyState", "applyMessage", "pagerdutyScheduleUrl")


def cover_request_data(cover: CoverRequest) -> dict:
    """The request as an outgoing webhook's `data.coverRequest` (the API's body, less WRITE_BACK)."""
    return {key: value for key, value in cover_request_json(cover).items() if key not in WRITE_BACK}


def happened_at(cover: CoverRequest, event: str) -> dt.datetime | None:
    """When `event` happened to the request; None when it did not (yet). A take counts once the
    schedule changed: not while PagerDuty's write is pending (it may still be refused, which puts
    the request back to open); the sweep tells it once applied."""
    if event == "taken" and (
        cover.status == CoverRequest.Status.OPEN or cover.apply_state == CoverRequest.Apply.PENDING
    ):
        return None
    return getattr(cover, EVENT_AT[event]) if event in EVENT_AT else None


def cover_of(row: Notification) -> CoverRequest:
    """The cover request a row is about, as it is now (with its rotation), for a channel to render;
    a permanent SendError once it is gone."""
    cover = (
        CoverRequest.objects.select_related("rotation").filter(pk=row.cover_request_id).first()
        if row.cover_request_id
        else None
    )
    if cover is None:
        raise registry.SendError("The cover request no longer exists.", permanent=True)
    return cover


def cover_event_fan_out(*, cover_request_id: int, event: str) -> list[int]:
    """Create the notifications of one event of a cover request (idempotent). Returns the ids
    waiting to be sent."""
    cover = CoverRequest.objects.select_related("rotation").filter(pk=cover_request_id).first()
    at = happened_at(cover, event) if cover is not None else None
    if cover is None or at is None:
        return []
    failed = f"A notification planner failed for cover request {cover_request_id} ({event})"
    planned = registry.plan_each([c.plan_cover for c in registry.channels()], cover, event, log=log, failed=failed)
    with transaction.atomic():
        ids = notifications_create(
            rotation=cover.rotation,
            cover_request_id=cover.pk,
            source=source(cover.pk, event, at),
            source_at=at,
            planned=planned,
            base_payload={
                "rotation": {"id": cover.rotation_id, "name": cover.rotation.name},
                "event": event,
                "coverRequest": cover_request_data(cover),
            },
        )
        CoverFanout.objects.bulk_create(
            [CoverFanout(cover_request=cover, event=event, planned=len(planned))],
            update_conflicts=True,
            unique_fields=["cover_request", "event"],
            update_fields=["planned", "fanned_out_at"],
        )
    return ids


def cover_events_to_fan_out(*, now: dt.datetime, limit: int = SWEEP_BATCH) -> list[tuple[int, str]]:
    """The outbox scan: (cover request id, event) of the last SCAN_HOURS that made no
    notifications yet (the listener never ran), oldest first."""
    since = now - dt.timedelta(hours=SCAN_HOURS)
    found: list[tuple[dt.datetime, int, int, str]] = []
    for order, (event, field) in enumerate(EVENT_AT.items()):
        done = CoverFanout.objects.filter(cover_request=OuterRef("pk"), event=event)
        if event == "failed":  # fanned out since the last failure
            done = done.filter(fanned_out_at__gte=OuterRef(field))
        missed = CoverRequest.objects.filter(**{f"{field}__gte": since}).exclude(Exists(done))
        if event == "taken":
            missed = missed.exclude(status=CoverRequest.Status.OPEN).exclude(apply_state=CoverRequest.Apply.PENDING)
        found += [(at, pk, order, event) for pk, at in missed.order_by(field).values_list("pk", field)[:limit]]
    # Oldest first; a request's events of one instant in the order they happen (its offer first).
    return [(pk, event) for _, pk, _, event in sorted(found)[:limit]]
