"""How channels plug into notifications (Slack, email, outgoing webhooks), without this app
importing them. A channel's app registers from its AppConfig.ready():

    registry.register_kind(registry.Kind("slack.usergroup", "Slack user group", stateful=True))
    registry.register_planner(plan)            # plan(handoff) -> iterable of Planned
    registry.register_sender("slack", send)    # send(notification) -> None, or raises below

- A **planner** says which notifications a handoff makes: one `Planned(channel, target, kind,
  payload)` per thing to do (a channel message, a user group update, a webhook delivery). It reads
  the channel's own settings for the rotation; it sends nothing.
- An **upcoming planner** (`register_upcoming_planner(plan, leads=leads)`, see `upcoming.py`) says
  which reminders a shift about to start makes: `plan(rotation, shift)` yields `Planned` for an
  `registry.UpcomingShift` (`start`, `end`, `person` with `key`/`name`/`email`, `lead`: how long
  until it starts, `source`, `payload()`), and `leads()` answers, in one query for every rotation,
  how far ahead the channel wants to hear of a rotation's shifts (`{rotation_id: timedelta}`). The
  beat `notifications.tasks.upcoming` looks each minute at the shifts starting within the largest
  lead of each rotation and calls every upcoming planner once per shift and scan; each row is made
  once per (shift, channel, target, kind) (source `shift:<start>:<person key>`), so a planner yields
  a reminder whenever `shift.lead` is within its own lead time. `shift.cache` is a dict shared by
  one scan: load what the planner reads for every rotation once. A reminder whose shift no longer
  exists (moved, overridden, re-synced away) or has already started when it is delivered is
  skipped with the reason, never sent.
- A **shift-changed planner** (`register_shift_changed_planner(plan, watched=watched)`):
  `watched()` returns the ids of rotations someone wants to hear about (one query); their next 7
  days of shifts are kept as a snapshot and diffed each minute (and after each PagerDuty sync that
  changed shifts). `plan(rotation, change)` yields `Planned` for an `registry.ShiftChange`
  (`person`, `before` and `after`: that person's (start, end) shifts in the compared window,
  `source` "moved:...", unique per change, so scans never repeat it; `payload()`).
- A **kind** is `stateful` when it sets state (a user group's members, a topic): only the newest
  notification of a (rotation, target, kind) is delivered, older ones are skipped; a message
  (stateful=False) of a handoff superseded by a later one is skipped, never sent late, unless its
  kind says `supersedable=False` (an outgoing webhook: every handoff is an event a script wants).
- A **sender** delivers one notification: it returns on success, or raises `RateLimited(retry_after)`
  (tried again then), `Transient(reason)` (tried again with backoff, 5 attempts over about an hour)
  or `Permanent(reason)` (failed; `reason` is shown on the rotation page in plain words, with the
  fix when there is one). Any other exception counts as Transient. A stateful sender should apply
  the state current when it runs (the payload is what was current at the handoff).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rotations.models import Handoff, Rotation
    from rotations.selectors import Person

    from .models import Notification


class SendError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RateLimited(SendError):
    """The channel asked us to wait `retry_after` seconds (Slack's 429 Retry-After). `queued`: Roster
    held it itself, the window of the service's limit being full (nothing was sent or refused), so it
    is not an attempt and never counts towards giving up."""

    def __init__(
        self, retry_after: float, reason: str = "The service asked Roster to slow down.", *, queued: bool = False
    ):
        super().__init__(reason)
        self.retry_after = retry_after
        self.queued = queued


class Transient(SendError):
    """Worth trying again later (a timeout, a 5xx)."""


class Permanent(SendError):
    """Trying again will not help until someone changes something (`reason` says what)."""


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    stateful: bool = False
    # False: a message of a handoff superseded by a later one is still sent (every handoff counts).
    supersedable: bool = True


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


Sender = Callable[["Notification"], None]
Planner = Callable[["Handoff"], Iterable[Planned]]
UpcomingPlanner = Callable[["Rotation", "UpcomingShift"], Iterable[Planned]]
Leads = Callable[[], Mapping[int, "dt.timedelta"]]  # {rotation id: how far ahead}, one query
ShiftChangedPlanner = Callable[["Rotation", "ShiftChange"], Iterable[Planned]]
Watched = Callable[[], Iterable[int]]  # rotation ids, one query


@dataclass
class _Registry:
    senders: dict[str, Sender] = field(default_factory=dict)
    planners: list[Planner] = field(default_factory=list)
    kinds: dict[str, Kind] = field(default_factory=dict)
    upcoming: dict[UpcomingPlanner, Leads] = field(default_factory=dict)
    shift_changed: dict[ShiftChangedPlanner, Watched] = field(default_factory=dict)


_registry = _Registry()


def register_sender(channel: str, sender: Sender) -> None:
    _registry.senders[channel] = sender


def unregister_sender(channel: str) -> None:
    _registry.senders.pop(channel, None)


def register_planner(planner: Planner) -> None:
    if planner not in _registry.planners:
        _registry.planners.append(planner)


def unregister_planner(planner: Planner) -> None:
    if planner in _registry.planners:
        _registry.planners.remove(planner)


def register_upcoming_planner(planner: UpcomingPlanner, *, leads: Leads) -> None:
    """`planner(rotation, shift)` yields the reminders of a shift about to start; `leads()` maps
    rotation ids to how long before a shift the channel wants to hear of it."""
    _registry.upcoming[planner] = leads


def unregister_upcoming_planner(planner: UpcomingPlanner) -> None:
    _registry.upcoming.pop(planner, None)


def upcoming_planners() -> list[UpcomingPlanner]:
    return list(_registry.upcoming)


def upcoming_leads() -> dict[int, dt.timedelta]:
    """The largest lead any channel asks for, per rotation (rotations nobody asks for are absent)."""
    merged: dict[int, dt.timedelta] = {}
    for leads in list(_registry.upcoming.values()):
        for rotation_id, lead in leads().items():
            if lead and lead.total_seconds() > 0 and (rotation_id not in merged or lead > merged[rotation_id]):
                merged[rotation_id] = lead
    return merged


def register_shift_changed_planner(planner: ShiftChangedPlanner, *, watched: Watched) -> None:
    """`planner(rotation, change)` yields what a moved shift makes; `watched()` gives the ids of
    the rotations the channel wants to hear about."""
    _registry.shift_changed[planner] = watched


def unregister_shift_changed_planner(planner: ShiftChangedPlanner) -> None:
    _registry.shift_changed.pop(planner, None)


def shift_changed_planners() -> list[ShiftChangedPlanner]:
    return list(_registry.shift_changed)


def shift_watched() -> set[int]:
    return {rotation_id for watched in list(_registry.shift_changed.values()) for rotation_id in watched()}


def register_kind(kind: Kind) -> None:
    _registry.kinds[kind.key] = kind


def sender(channel: str) -> Sender | None:
    return _registry.senders.get(channel)


def planners() -> list[Planner]:
    return list(_registry.planners)


def kind(key: str) -> Kind:
    return _registry.kinds.get(key) or Kind(key=key, label=key)


def unsupersedable_kinds() -> list[str]:
    """Keys of the message kinds sent for every handoff, even one a later handoff superseded."""
    return [k.key for k in _registry.kinds.values() if not k.supersedable and not k.stateful]
