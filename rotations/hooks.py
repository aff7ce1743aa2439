"""Extension points for apps above rotations (notifications today): they import rotations and
register here from their AppConfig.ready(); rotations never imports them.

- `register_handoff_listener(fn)`: `fn(handoff_id)` runs after the transaction that recorded a
  new Handoff commits (never for a handoff that was already recorded). A listener should only
  nudge (queue a task): a listener that fails is logged and the others still run, and a listener
  must not be the only way it learns of handoffs (a process can die between the commit and the
  call), so it also scans Handoff rows on its own schedule.
- `register_shifts_listener(fn)`: `fn(rotation_ids)` runs after the transaction in which a
  PagerDuty sync changed these rotations' stored shifts commits (a nudge, like a handoff listener:
  the listener's own scan is the source of truth).
- `register_detail_context(fn)`: `fn(rotation)` returns extra context for the rotation page
  (`templates/rotations/detail.html` includes the app's partial that reads it).
- `register_json_field(JsonField(key, read, write))`: an extra key of the rotation's JSON
  (`/api/rotations/...`): `read(rotation)` gives its value; `write(rotation, value, actor)` applies a
  PATCH of it (before the rotation's own fields), raising `JsonFieldError` to refuse it (a 400, or
  the error's status, with `errors: {field: [message]}`). The app gives the key's JSON schemas
  (`schema` as read, `write_schema` in a PATCH): rotations/api.py adds them to the Rotation and
  RotationUpdate schemas of /api/schema/.
  `read_many(rotations)` (optional) gives the values of many rotations at once ({rotation id:
  value}) in a constant number of queries: the list `GET /api/rotations/` uses it.
  `write_scope` (default "write"): the API token scope a PATCH of this key needs (`slack`: "admin",
  it changes a whole Slack workspace); a token without it gets 403 `insufficient_scope`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from accounts.actor import Actor

    from .models import Handoff, Rotation

log = logging.getLogger(__name__)

_handoff_listeners: list[Callable[[int], None]] = []
_detail_contexts: list[Callable[[Rotation], dict]] = []
_shifts_listeners: list[Callable[[list[int]], None]] = []


def register_shifts_listener(listener: Callable[[list[int]], None]) -> None:
    if listener not in _shifts_listeners:
        _shifts_listeners.append(listener)


def _notify_shifts(listener: Callable[[list[int]], None], rotation_ids: list[int]) -> None:
    try:
        listener(rotation_ids)
    except Exception:
        log.exception("A shifts listener failed for rotations %s (its own scan will find the change)", rotation_ids)


def shifts_changed(rotation_ids: list[int]) -> None:
    """Called by a sync that replaced these rotations' shifts: each listener runs once it commits."""
    for listener in list(_shifts_listeners):
        transaction.on_commit(functools.partial(_notify_shifts, listener, list(rotation_ids)))


def register_handoff_listener(listener: Callable[[int], None]) -> None:
    if listener not in _handoff_listeners:
        _handoff_listeners.append(listener)


def register_detail_context(context: Callable[[Rotation], dict]) -> None:
    if context not in _detail_contexts:
        _detail_contexts.append(context)


def _notify(listener: Callable[[int], None], handoff_id: int) -> None:
    try:
        listener(handoff_id)
    except Exception:
        log.exception("A handoff listener failed for handoff %s (its own scan will pick the handoff up)", handoff_id)


def handoff_recorded(handoff: Handoff) -> None:
    """Called by rotations when it inserted `handoff`: each listener runs once the transaction commits."""
    for listener in list(_handoff_listeners):
        transaction.on_commit(functools.partial(_notify, listener, handoff.pk))


def detail_context(rotation: Rotation) -> dict:
    context: dict = {}
    for fn in _detail_contexts:
        context.update(fn(rotation))
    return context


class JsonFieldError(Exception):
    def __init__(self, message: str, *, field: str, code: str = "invalid_request", status: int = 400):
        super().__init__(message)
        self.message, self.field, self.code, self.status = message, field, code, status


@dataclass(frozen=True)
class JsonField:
    key: str
    read: Callable[[Rotation], Any]
    write: Callable[[Rotation, Any, Actor | None], None] | None = None
    read_many: Callable[[list[Rotation]], dict[int, Any]] | None = None
    # JSON schemas of the key in the rotation JSON (read) and in a PATCH body (write), for /api/schema/.
    schema: dict | None = None
    write_schema: dict | None = None
    write_scope: str = "write"  # the API token scope a PATCH of the key needs

    def values(self, rotations: list[Rotation]) -> dict[int, Any]:
        """{rotation id: value} for every rotation (one batch when the app gives `read_many`)."""
        if self.read_many is not None:
            return self.read_many(rotations)
        return {r.pk: self.read(r) for r in rotations}


_json_fields: dict[str, JsonField] = {}


def register_json_field(field: JsonField) -> None:
    _json_fields[field.key] = field


def json_fields() -> list[JsonField]:
    return list(_json_fields.values())
