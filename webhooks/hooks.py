"""Extension points for apps above webhooks (outgoing webhooks today): they import webhooks and
register here from their AppConfig.ready(); webhooks never imports them.

- `register_incident_event_listener(fn)`: `fn(incident_event_id)` runs after the transaction that
  added an `IncidentEvent` to an incident's timeline commits (once per event: a replayed PagerDuty
  delivery adds nothing, so calls nobody). The listener should be quick (insert rows, queue a
  task); one that fails is logged and the others still run.

The call is a nudge, not a guarantee: it is lost when the process dies between the commit and the
call. A listener that must not miss an event treats `IncidentEvent` as its outbox, as notifications
does handoffs: it marks each entry it handled (a row of its own, in the transaction of its work) and
a periodic scan handles recent entries with no mark (outgoing: `events.incident_events_to_relay`,
from its beat sweep). webhooks knows nothing of either.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)

_incident_event_listeners: list[Callable[[int], None]] = []


def register_incident_event_listener(listener: Callable[[int], None]) -> None:
    if listener not in _incident_event_listeners:
        _incident_event_listeners.append(listener)


def unregister_incident_event_listener(listener: Callable[[int], None]) -> None:
    if listener in _incident_event_listeners:
        _incident_event_listeners.remove(listener)


def _notify(listener: Callable[[int], None], event_id: int) -> None:
    try:
        listener(event_id)
    except Exception:
        log.exception("An incident event listener failed for incident event %s", event_id)


def incident_event_recorded(event_id: int) -> None:
    """Called by processing when it added an event to a timeline: listeners run once it commits."""
    for listener in list(_incident_event_listeners):
        transaction.on_commit(functools.partial(_notify, listener, event_id))
