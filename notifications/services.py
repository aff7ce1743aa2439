"""Notifications: handoffs → rows → delivered once.

How notifications learn of handoffs. rotations records every handoff (native cadence, overrides,
skips, PagerDuty syncs) as a `Handoff` row, unique per rotation and instant, and calls the
listeners registered in `rotations.hooks` once that insert commits. Our listener only *nudges*:
it queues `tasks.fan_out(handoff_id)`. The nudge is fast but can be lost (the broker is down, the
process dies between the commit and the call), so the source of truth is the table itself: beat
runs `tasks.sweep` every minute, which fans out every handoff recorded in the last
SCAN_HOURS (24) that has no `HandoffFanout` row yet (an outbox scan, a cursor per row
rather than a high-water mark: ids do not commit in order). So a handoff recorded while the worker
was down is picked up when it is back; rotations never imports this app. (Why not fan out inside
`record_handoff`: the sync's transaction would then hold channel settings and planners' reads, and
rotations would import its caller. Why not only the scan: a handoff would wait up to a minute.)

Fan-out (`notifications_fan_out`) asks each registered planner what the handoff makes and inserts
one `Notification` per (source, channel, target, kind), ignoring conflicts: overlapping nudges,
scans and retries never make two rows.

Delivery (`notification_deliver`) claims a row with a conditional update (pending and due →
sending; the row count says whether this worker won, as healthchecks' sendalerts does), checks it
is not superseded, calls its channel's `send()` and records the result. A channel that sends one at
a time per target (`Channel.serial`: an outgoing webhook endpoint) must also `take` the target
first: that is a condition of the claim, released when the attempt ends. `send()` raises
`registry.SendError`: `permanent` (failed, reason shown), `retry_after` (tried again then, up to
`Channel.rate_limited_attempts`), else tried again after the channel's `backoff` (Slack and email:
1, 5, 15, 40 minutes, then failed; webhooks: about 24 hours). The channel's `send()` may set
`response_code`, `latency_ms` and `response_body` on the row; they are recorded with the result.

Cover requests' events (offered, taken, cancelled, expired, "nobody took it yet") are made by
`cover_events.py` through `notifications_create` (source "cover:<id>:<event>"), from the covers
signal's listener and the sweep alike; a `while_open` kind whose request is no longer open when it is
delivered is skipped with the reason.

Upcoming shifts (reminders, moved shifts) are made by `upcoming.py` through `notifications_create`;
a reminder (source "shift:...") whose shift has started or no longer exists when it is delivered
is skipped with the reason.

Superseded: a message (kind not stateful) whose handoff has a later handoff of the same rotation
before it is delivered is skipped, not sent late (unless its kind is `supersedable=False`: an
outgoing webhook reports every handoff). A stateful kind (a user group, a topic) delivers
only the newest row per (rotation, channel, target, kind); older ones are skipped (a handoff recorded
later but not fanned out yet is fanned out first, so its row exists to supersede). An older state
already being sent when the newer handoff arrives is not stopped: senders of stateful kinds apply the
state current when they run, so the last write is right either way.

Guarantees. A row is claimed by one worker at a time, and a row recorded as sent is never sent
again (except by an admin's Resend). At-least-once window: if a worker dies after the sender
succeeded but before `sent` is recorded, the row stays `sending`; the sweeper puts rows left
sending longer than STALE_SECONDS (10 minutes) back to pending, and they are sent again. That is
the one case a message can be sent twice; stateful kinds are idempotent there. Nothing is lost:
rows are in the database before any message is queued, and the sweeper re-queues due rows whose
message never ran. The limit: a handoff whose nudge was lost and that the sweep did not reach within
SCAN_HOURS (beat stopped for a day) is history, not news, and makes no notifications.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from covers.models import CoverRequest
from rotations.models import Handoff, Rotation

from . import registry
from .models import HandoffFanout, Notification
from .selectors import shift_still_there

log = logging.getLogger(__name__)

# The retry policy is the channel's (registry.Channel: backoff, rate_limited_attempts).
ERROR_MAX = 500
# The sweep fans out handoffs recorded in the last SCAN_HOURS that no nudge reached (older ones are
# history, not news), puts rows `sending` for STALE_SECONDS back to pending (a delivery task is
# killed after 60 s, so such a row's worker died), and queues waiting rows whose message should
# have run REQUEUE_AFTER_SECONDS ago; at most SWEEP_BATCH of each per minute.
SCAN_HOURS = 24
STALE_SECONDS = 600
REQUEUE_AFTER_SECONDS = 120
SWEEP_BATCH = 1000


# --- fan-out -----------------------------------------------------------------------------------


def handoff_payload(handoff: Handoff) -> dict:
    """What every notification of a handoff carries; planners add their own keys."""
    return {
        "rotation": {"id": handoff.rotation_id, "name": handoff.rotation.name},
        "handoffId": handoff.pk,
        "at": handoff.at.isoformat(),
        "from": handoff.from_label or None,
        "to": handoff.to_label or None,  # None: a gap, nobody on call
    }


def notifications_create(
    *,
    rotation: Rotation | None,
    source: str,
    source_at: dt.datetime,
    planned: Iterable[registry.Planned],
    handoff: Handoff | None = None,
    base_payload: dict | None = None,
    organization_id: int | None = None,
    cover_request_id: int | None = None,
) -> list[int]:
    """Insert one row per planned notification, ignoring the ones that exist. Returns the ids of
    this source's rows still waiting (to queue). Also what a reminder beat calls for a shift, and
    outgoing for an event of no rotation (an incident's, a test: `rotation` None, `organization_id`)."""
    planned = list(planned)
    organization_id = rotation.organization_id if rotation is not None else organization_id
    if organization_id is None:
        raise ValueError("A notification of no rotation needs its organization_id.")
    rows = [
        Notification(
            organization_id=organization_id,
            rotation=rotation,
            handoff=handoff,
            cover_request_id=cover_request_id,
            source=source,
            source_at=source_at,
            channel=p.channel,
            target=p.target[:200],
            kind=p.kind,
            stateful=registry.kind(p.kind).stateful,
            payload={**(base_payload or {}), **p.payload},
        )
        for p in planned
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    mine = Notification.objects.filter(source=source, status=Notification.Status.PENDING)
    if rotation is None:
        mine = mine.filter(rotation=None, organization_id=organization_id, target__in=[p.target[:200] for p in planned])
    else:
        mine = mine.filter(rotation=rotation)
    return list(mine.order_by("id").values_list("id", flat=True))


def notifications_fan_out(*, handoff_id: int) -> list[int]:
    """Create the notifications of one handoff (idempotent). Returns the ids waiting to be sent."""
    handoff = Handoff.objects.select_related("rotation").filter(pk=handoff_id).first()
    if handoff is None:
        return []
    failed = f"A notification planner failed for handoff {handoff_id}"
    planned = registry.plan_each([c.plan for c in registry.channels()], handoff, log=log, failed=failed)
    with transaction.atomic():
        ids = notifications_create(
            rotation=handoff.rotation,
            handoff=handoff,
            source=f"handoff:{handoff.pk}",
            source_at=handoff.at,
            planned=planned,
            base_payload=handoff_payload(handoff),
        )
        HandoffFanout.objects.bulk_create([HandoffFanout(handoff=handoff, planned=len(planned))], ignore_conflicts=True)
    return ids


def handoffs_to_fan_out(*, now: dt.datetime) -> QuerySet[Handoff]:
    since = now - dt.timedelta(hours=SCAN_HOURS)
    return Handoff.objects.filter(recorded_at__gte=since, notification_fanout__isnull=True).order_by("recorded_at")


# --- delivery ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: str  # a Notification.Status, or "not_due" (someone else has it, or it is not time yet)
    retry_in: float | None = None  # seconds until the next try, when one is planned


def _newer_state():
    return Notification.objects.filter(
        rotation=OuterRef("rotation"),
        channel=OuterRef("channel"),
        target=OuterRef("target"),
        kind=OuterRef("kind"),
        source_at__gt=OuterRef("source_at"),
    )


def _later_handoff():
    return Handoff.objects.filter(rotation=OuterRef("rotation"), at__gt=OuterRef("source_at"))


def _skip(rows: QuerySet[Notification], reason: str, now: dt.datetime) -> bool:
    """Skip these rows with the reason; whether any was."""
    return rows.update(status=Notification.Status.SKIPPED, last_error=reason, claimed_at=now) > 0


def _skip_if_superseded(notification_id: int, now: dt.datetime) -> bool:
    waiting = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING, resent_at=None)
    state = waiting.filter(stateful=True).filter(Exists(_newer_state()))
    message = (
        waiting.filter(stateful=False, handoff__isnull=False)
        .exclude(kind__in=[k.key for k in registry.kinds() if not k.supersedable])
        .filter(Exists(_later_handoff()))
    )
    applied = _skip(state, "Not applied: a later handoff set this again before it could be delivered.", now)
    sent = _skip(
        message, "Not sent: a later handoff happened before it could be delivered, so it would have been late.", now
    )
    return applied or sent


def _skip_if_shift_gone(notification_id: int, now: dt.datetime) -> bool:
    """A reminder of an upcoming shift (source "shift:...") whose shift has started, or no longer
    exists (moved, overridden, skipped, re-synced away), is skipped with the reason, not sent."""
    row = (
        Notification.objects.filter(
            pk=notification_id, status=Notification.Status.PENDING, resent_at=None, source__startswith="shift:"
        )
        .select_related("rotation")
        .first()
    )
    shift = (row.payload.get("shift") or {}) if row is not None else {}
    if row is None or not shift.get("start"):
        return False
    start = dt.datetime.fromisoformat(shift["start"])
    if start <= now:
        reason = "Not sent: the shift had already started when it could be delivered."
    else:
        try:
            there = shift_still_there(
                row.the_rotation, start=start, person_key=(shift.get("person") or {}).get("key", "")
            )
        except Exception:
            log.exception("Could not check the shift of notification %s", notification_id)
            return False
        if there:
            return False
        reason = "Not sent: this shift no longer exists (it moved, or someone else took it)."
    return _skip(Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING), reason, now)


def _skip_if_cover_closed(notification_id: int, now: dt.datetime) -> bool:
    """A cover request's offer or "nobody took it yet" (a `while_open` kind) whose request was
    taken, cancelled or expired before it could be delivered is skipped with the reason."""
    kinds = [k.key for k in registry.kinds() if k.while_open]
    if not kinds:
        return False
    closed = CoverRequest.objects.filter(pk=OuterRef("cover_request_id")).exclude(status=CoverRequest.Status.OPEN)
    rows = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, resent_at=None, kind__in=kinds
    ).filter(Exists(closed))
    return _skip(rows, "Not sent: the cover request was taken, cancelled or expired before it could be delivered.", now)


def _fan_out_later_handoffs(notification_id: int) -> None:
    """Before a state is applied, make the rows of any later handoff not fanned out yet (recorded
    while the worker was down), so the older state is skipped rather than applied first."""
    later = Handoff.objects.filter(
        rotation__notifications__pk=notification_id,
        rotation__notifications__stateful=True,
        rotation__notifications__status=Notification.Status.PENDING,
        at__gt=F("rotation__notifications__source_at"),
        notification_fanout__isnull=True,
    ).order_by("at")
    for handoff_id in later.values_list("pk", flat=True):
        notifications_fan_out(handoff_id=handoff_id)


def _claim(notification_id: int, now: dt.datetime) -> tuple[Notification, registry.Channel | None] | None:
    """The row (pending and due → sending), after its channel's target when the channel is serial
    (one delivery in flight per target); None when either is taken or it is not due."""
    found = Notification.objects.filter(pk=notification_id).values("channel", "target").first()
    if found is None:
        return None
    channel = registry.channel(found["channel"])
    if channel is not None and not channel.take(found["target"], now):
        return None
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(
        status=Notification.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        response_code=None,
        latency_ms=None,
        response_body="",
    )
    if not claimed:
        if channel is not None:
            channel.release(found["target"], now)
        return None
    return Notification.objects.select_related("rotation", "handoff").get(pk=notification_id), channel


def _record(row: Notification, **fields) -> None:
    # Only while still ours: the sweeper may have given a long-stuck row to another worker.
    Notification.objects.filter(pk=row.pk, status=Notification.Status.SENDING, claimed_at=row.claimed_at).update(
        response_code=row.response_code, latency_ms=row.latency_ms, response_body=row.response_body, **fields
    )


def _retry(row: Notification, now: dt.datetime, wait: float, reason: str, *, attempted: bool = True) -> Outcome:
    at = now + dt.timedelta(seconds=wait)
    fields = {} if attempted else {"attempts": F("attempts") - 1}  # held by Roster's own pacing: not an attempt
    _record(
        row,
        status=Notification.Status.PENDING,
        next_attempt_at=at,
        queued_at=None,
        last_error=reason[:ERROR_MAX],
        **fields,
    )
    return Outcome(Notification.Status.PENDING, retry_in=wait)


def _fail(row: Notification, reason: str) -> Outcome:
    _record(row, status=Notification.Status.FAILED, last_error=reason[:ERROR_MAX])
    return Outcome(Notification.Status.FAILED)


def _attempt(row: Notification, channel: registry.Channel | None, now: dt.datetime) -> Outcome:
    if channel is None:
        return _fail(row, f"Roster has no way to send to “{row.channel}” (that channel is not installed).")
    try:
        channel.send(row)
    except registry.SendError as raised:
        error = raised
    except Exception:
        log.exception("Sender for %s failed on notification %s", row.channel, row.pk)
        error = registry.SendError("An unexpected error occurred.")
    else:
        _record(row, status=Notification.Status.SENT, sent_at=timezone.now(), last_error="")
        return Outcome(Notification.Status.SENT)
    if error.permanent:
        return _fail(row, error.reason)
    if error.counted and row.attempts >= channel.max_attempts(error):
        return _fail(row, f"Gave up after {row.attempts} attempts: {error.reason}")
    return _retry(row, now, channel.retry_wait(row.attempts, error), error.reason, attempted=error.counted)


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> Outcome:
    """Deliver one notification if it is waiting and due: skip it when superseded, else claim it,
    call its channel's `send()` and record the result (see the module docstring)."""
    now = now or timezone.now()
    _fan_out_later_handoffs(notification_id)
    if (
        _skip_if_superseded(notification_id, now)
        or _skip_if_shift_gone(notification_id, now)
        or _skip_if_cover_closed(notification_id, now)
    ):
        return Outcome(Notification.Status.SKIPPED)
    claimed = _claim(notification_id, now)
    if claimed is None:
        return Outcome("not_due")
    row, channel = claimed
    try:
        return _attempt(row, channel, now)
    finally:
        if channel is not None:
            channel.release(row.target, now)


# --- the sweeper and resend --------------------------------------------------------------------


def notifications_requeue_stuck(*, now: dt.datetime) -> int:
    """Rows left `sending` longer than STALE_SECONDS (10 minutes) (the worker died mid-send) go
    back to pending: they will be sent again (the at-least-once window, see the module docstring)."""
    stale = now - dt.timedelta(seconds=STALE_SECONDS)
    return Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=stale).update(
        status=Notification.Status.PENDING,
        next_attempt_at=now,
        queued_at=None,
        last_error="The worker stopped while sending this; trying again.",
    )


def notifications_due(*, now: dt.datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Waiting rows whose task message should have run by now and did not (lost, or never queued).
    Of a serial channel, the oldest due row of each free target only, round-robin (one per target,
    oldest first), so a target with a thousand waiting cannot crowd out the others."""
    lost = now - dt.timedelta(seconds=REQUEUE_AFTER_SECONDS)
    waiting = Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now).filter(
        Q(queued_at=None) | Q(queued_at__lt=lost)
    )
    serial = [c for c in registry.channels() if c.serial]
    ids = list(waiting.exclude(channel__in=[c.key for c in serial]).order_by("id").values_list("id", flat=True)[:limit])
    for channel in serial:
        heads = list(
            waiting.filter(channel=channel.key)
            .values("target")
            .annotate(first=Min("id"), due=Min("next_attempt_at"))
            .order_by("due")[:limit]
        )
        free = channel.free({h["target"] for h in heads})
        ids += [h["first"] for h in heads if h["target"] in free]
    return ids


def next_due(*, channel: str, target: str, now: dt.datetime) -> int | None:
    """The target's next due row (a serial channel's target is free again), if any."""
    return (
        Notification.objects.filter(
            channel=channel, target=target, status=Notification.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
        .first()
    )


def next_in_line(*, notification_id: int, now: dt.datetime) -> int | None:
    """After a row of a serial channel: the next due row of its target (to queue now), if any."""
    row = Notification.objects.filter(pk=notification_id).values("channel", "target").first()
    found = registry.channel(row["channel"]) if row else None
    if row is None or found is None or not found.serial:
        return None
    return next_due(channel=row["channel"], target=row["target"], now=now)


def notifications_mark_queued(*, ids: list[int], at: dt.datetime) -> None:
    Notification.objects.filter(pk__in=ids, status=Notification.Status.PENDING).update(queued_at=at)


def notifications_resend(*, ids: Iterable[int], actor: Actor | None) -> list[int]:
    """An admin sends these again now, whatever became of them (a sent one is sent once more)."""
    now = timezone.now()
    rows = list(
        Notification.objects.filter(pk__in=list(ids))
        .exclude(status=Notification.Status.SENDING)
        .select_related("rotation", "organization")
    )
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=Notification.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        queued_at=None,
        last_error="",
        resent_at=now,
    )
    for row in rows:
        audit_record(
            organization=row.organization,
            provider="roster",
            action="notification_resend",
            summary=f"Resent {registry.kind(row.kind).label} to {row.channel} {row.target}"
            + (f" (rotation “{row.rotation}”)" if row.rotation else ""),
            actor=actor,
        )
    return [r.pk for r in rows]
