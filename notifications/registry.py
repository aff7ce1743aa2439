"""A channel of notifications is one class (Slack, email, outgoing webhooks; `Channel` below).
Its app registers one instance from its AppConfig.ready(): `registry.register(SlackChannel())`.

A channel says:
- `key` and `kinds`: a `Kind` is `stateful` when it sets state (a user group's members, a topic):
  only the newest notification of a (rotation, target, kind) is delivered, older ones are skipped;
  a message (stateful=False) of a handoff superseded by a later one is skipped, never sent late,
  unless its kind says `supersedable=False` (an outgoing webhook: every handoff is an event).
- `plan(handoff)`: what a handoff makes, one `Planned(channel, target, kind, payload)` per thing to
  do, from the channel's own settings for the rotation (no network).
- `leads()` and `plan_upcoming(rotation, shift)`: before a shift starts. `leads()` answers, in one
  query for every rotation, how far ahead the channel wants to hear of a rotation's shifts
  (`{rotation_id: timedelta}`); the beat `notifications.tasks.upcoming` calls `plan_upcoming` for
  each `UpcomingShift` within the largest lead, and each row is made once per (shift, channel,
  target, kind) (source `shift:<start>:<person key>`), so yield a reminder whenever `shift.lead`
  is within the channel's own lead. `shift.cache` is shared by one scan: load settings once.
- `watched()` and `plan_shift_changed(rotation, change)`: when a shift moves (a `ShiftChange`,
  source "moved:...", made once).
- `plan_cover(cover, event)`: what a cover request's event makes ("created", "taken",
  "cancelled", "expired", "expiring", "failed"; `cover_events.py` makes each row once, source
  "cover:<id>:<event>"). A kind `while_open` (an offer, "nobody took it yet") is skipped, not sent,
  once the request is no longer open.
- `send(notification)`: deliver one; return on success, or raise `SendError(reason,
  permanent=..., retry_after=...)`. `reason` says what went wrong and how to fix it, in words a
  rotation admin understands. Any other exception counts as a transient error. A stateful sender
  applies the state current when it runs.
- Its retry policy (`backoff`, `rate_limited_attempts`, `retry_wait`), and, for a channel that
  sends one at a time per target (`serial`, an outgoing webhook endpoint), `take`/`release` (the
  claim's condition), `free` (which targets the sweeper may serve) and `sweep` (its own outbox scan).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covers.models import CoverRequest
    from rotations.models import Handoff, Rotation
    from rotations.selectors import Person

    from .models import Notification


class SendError(Exception):
    """A delivery did not happen. `permanent`: trying again will not help until someone changes
    something (`reason` says what). `retry_after`: the service asked to wait that many seconds (a
    429's Retry-After). `counted=False`: the wait is Roster's own queue for the service's limit
    (nothing was sent or refused), so it is not an attempt and never counts towards giving up."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None, counted: bool = True):
        super().__init__(reason)
        self.reason, self.permanent, self.retry_after, self.counted = reason, permanent, retry_after, counted


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    stateful: bool = False
    # False: a message of a handoff superseded by a later one is still sent (every handoff counts).
    supersedable: bool = True
    # A cover request's message that is moot once the request is no longer open (skipped, not sent).
    while_open: bool = False


@dataclass(frozen=True)
class Planned:
    channel: str
    target: str  # the channel's own id of where it goes: "usergroup:S123", "channel:C42", an endpoint id
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


# --- what upcoming-shift planners are given (made by upcoming.py) ---------------------------------


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def person_payload(person: Person) -> dict:
    return {"key": person.key, "name": person.name, "email": person.email or None}


@dataclass(frozen=True)
class UpcomingShift:
    """Someone's shift that starts `lead` from now (as of the scan)."""

    rotation_id: int
    start: dt.datetime
    end: dt.datetime
    person: Person
    lead: dt.timedelta
    cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)  # shared by one scan

    @property
    def source(self) -> str:
        return f"shift:{iso(self.start)}:{self.person.key}"

    def payload(self) -> dict:
        """What every reminder of this shift carries (`services` checks `shift` when delivering)."""
        return {"shift": {"start": iso(self.start), "end": iso(self.end), "person": person_payload(self.person)}}


@dataclass(frozen=True)
class ShiftChange:
    """Within [window_start, window_end), `person`'s shifts `before` are no longer, `after` are new
    (a shift cut short is in both: as it was, and as it is)."""

    rotation_id: int
    person: Person
    before: tuple[tuple[dt.datetime, dt.datetime], ...]
    after: tuple[tuple[dt.datetime, dt.datetime], ...]
    window_start: dt.datetime
    window_end: dt.datetime
    version: int
    cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def source(self) -> str:
        text = repr(
            (self.person.key, [(iso(a), iso(b)) for a, b in self.before], [(iso(a), iso(b)) for a, b in self.after])
        )
        return f"moved:{self.version}:{self.person.key}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def payload(self) -> dict:
        return {
            "person": person_payload(self.person),
            "before": [{"start": iso(a), "end": iso(b)} for a, b in self.before],
            "after": [{"start": iso(a), "end": iso(b)} for a, b in self.after],
            "window": {"start": iso(self.window_start), "end": iso(self.window_end)},
        }


MAX_RETRY_AFTER = 6 * 3600  # a Retry-After is honoured up to this


class Channel:
    """One channel of notifications: subclass it and `register()` an instance (see the module docstring)."""

    key: str = ""
    kinds: tuple[Kind, ...] = ()
    # Seconds to wait after a failed attempt, by attempts made so far; after the last, it fails.
    backoff: tuple[float, ...] = (60, 300, 900, 2400)
    # A rate-limited answer is the service pacing us, not failing: give up only after this many.
    rate_limited_attempts: int = 20
    # One delivery in flight per target: `take` is a condition of the claim.
    serial: bool = False

    def plan(self, handoff: Handoff) -> Iterable[Planned]:
        return ()

    def leads(self) -> Mapping[int, dt.timedelta]:
        return {}

    def plan_upcoming(self, rotation: Rotation, shift: UpcomingShift) -> Iterable[Planned]:
        return ()

    def watched(self) -> Iterable[int]:
        return ()

    def plan_shift_changed(self, rotation: Rotation, change: ShiftChange) -> Iterable[Planned]:
        return ()

    def plan_cover(self, cover: CoverRequest, event: str) -> Iterable[Planned]:
        return ()

    def target_labels(self, rotation: Rotation, targets: set[str]) -> dict[str, str]:
        """What a person reads for these targets of the rotation's rows (a target left out shows as stored)."""
        return {}

    def send(self, notification: Notification) -> None:
        raise SendError(f"Roster has no way to send to “{self.key}”.", permanent=True)

    def max_attempts(self, error: SendError) -> int:
        return self.rate_limited_attempts if error.retry_after is not None else len(self.backoff) + 1

    def retry_wait(self, attempts: int, error: SendError) -> float:
        """Seconds until the next try after `attempts` attempts ended in `error`."""
        if error.retry_after is not None:
            return min(max(float(error.retry_after), 1.0), MAX_RETRY_AFTER)
        return self.backoff[min(attempts, len(self.backoff)) - 1]

    # --- serial channels ---
    def take(self, target: str, now: dt.datetime) -> bool:
        return True

    def release(self, target: str, now: dt.datetime) -> None:
        return None

    def free(self, targets: set[str]) -> set[str]:
        return targets

    def sweep(self, now: dt.datetime) -> dict[str, int]:
        """The sweeper's minute for this channel (its own outbox scan); counts for the log."""
        return {}


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    _channels[channel.key] = channel


def unregister(key: str) -> None:
    _channels.pop(key, None)


def channel(key: str) -> Channel | None:
    return _channels.get(key)


def channels() -> list[Channel]:
    return list(_channels.values())


def kinds() -> list[Kind]:
    return [k for found in _channels.values() for k in found.kinds]


def kind(key: str) -> Kind:
    return next((k for k in kinds() if k.key == key), Kind(key=key, label=key))


def plan_each(
    planners: Iterable[Callable[..., Iterable[Planned]]], *args: Any, log: logging.Logger, failed: str
) -> list[Planned]:
    """What each channel's planner makes of `args`. One channel's broken settings must not stop the
    others: `failed` is logged with the exception (and a scan does not retry it)."""
    planned: list[Planned] = []
    for planner in planners:
        try:
            planned += list(planner(*args))
        except Exception:
            log.exception(failed)
    return planned


def people(rotation: Rotation, targets: Iterable[str]) -> dict[str, str]:
    """Targets "<prefix>:<email>" (an email, a Slack direct message) as the member's name and email."""
    names = {m.email.lower(): m.name for m in rotation.members.all()}
    emails = {t: t.partition(":")[2] for t in targets}
    return {t: f"{names[e]} <{e}>" if e in names else e for t, e in emails.items()}


def upcoming_leads() -> dict[int, dt.timedelta]:
    """The largest lead any channel asks for, per rotation (rotations nobody asks for are absent)."""
    merged: dict[int, dt.timedelta] = {}
    for found in channels():
        for rotation_id, lead in found.leads().items():
            if lead and lead.total_seconds() > 0 and (rotation_id not in merged or lead > merged[rotation_id]):
                merged[rotation_id] = lead
    return merged
