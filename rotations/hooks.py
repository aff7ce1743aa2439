"""Extension points for apps above rotations (notifications today): they import rotations and
register here from their AppConfig.ready(); rotations never imports them.

- `register_handoff_listener(fn)`: `fn(handoff_id)` runs after the transaction that recorded a
  new Handoff commits (never for a handoff that was already recorded). A listener should only
  nudge (queue a task): a listener that fails is logged and the others still run, and a listener
  must not be the only way it learns of handoffs (a process can die between the commit and the
  call), so it also scans Handoff rows on its own schedule.
- `register_detail_context(fn)`: `fn(rotation)` returns extra context for the rotation page
  (`templates/rotations/detail.html` includes the app's partial that reads it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from .models import Handoff, Rotation

log = logging.getLogger(__name__)

_handoff_listeners: list[Callable[[int], None]] = []
_detail_contexts: list[Callable[[Rotation], dict]] = []


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
