"""One way for an app to tell the apps above it that something happened: a Django signal sent once
the transaction that made the change commits (`send_on_commit`), so a listener never sees a change
that was rolled back. Listeners connect in their AppConfig.ready(); the lower app never imports them.

A listener should only nudge (make a few rows, queue a task). `send_robust` runs every listener even
when one raises, and Django logs the failure (logger `django.dispatch`); the listener's own periodic
scan is the source of truth, since a process can die between the commit and the call.

The signals: `rotations.signals.handoff_recorded` (handoff_id), `rotations.signals.shifts_changed`
(rotation_ids), `webhooks.signals.incident_event_recorded` (incident_event_id) and
`covers.signals.cover_request_changed` (event, cover_request_id).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal


def send_on_commit(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send_robust(sender=None, **kwargs))
