"""How channels plug into notifications (Slack, email, outgoing webhooks), without this app
importing them. A channel's app registers from its AppConfig.ready():

    registry.register_kind(registry.Kind("slack.usergroup", "Slack user group", stateful=True))
    registry.register_planner(plan)            # plan(handoff) -> iterable of Planned
    registry.register_sender("slack", send)    # send(notification) -> None, or raises below

- A **planner** says which notifications a handoff makes: one `Planned(channel, target, kind,
  payload)` per thing to do (a channel message, a user group update, a webhook delivery). It reads
  the channel's own settings for the rotation; it sends nothing. An upcoming-shift reminder is
  planned by the channel's own beat through `services.notifications_create` with a shift source.
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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rotations.models import Handoff

    from .models import Notification


class SendError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RateLimited(SendError):
    """The channel asked us to wait `retry_after` seconds (Slack's 429 Retry-After)."""

    def __init__(self, retry_after: float, reason: str = "The service asked Roster to slow down."):
        super().__init__(reason)
        self.retry_after = retry_after


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


Sender = Callable[["Notification"], None]
Planner = Callable[["Handoff"], Iterable[Planned]]


@dataclass
class _Registry:
    senders: dict[str, Sender] = field(default_factory=dict)
    planners: list[Planner] = field(default_factory=list)
    kinds: dict[str, Kind] = field(default_factory=dict)


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
