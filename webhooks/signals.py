"""What webhooks tells the apps above it (outgoing webhooks today), after the change committed.

`incident_event_recorded(incident_event_id)` is sent (config.signals.send_on_commit) once the
transaction that added an `IncidentEvent` to an incident's timeline commits: once per event (a
replayed PagerDuty delivery adds nothing, so sends nothing).

It is a nudge, not a guarantee: it is lost when the process dies between the commit and the call. A
listener that must not miss an event treats `IncidentEvent` as its outbox, as notifications does
handoffs: it marks each entry it handled (a row of its own, in the transaction of its work) and a
periodic scan handles recent entries with no mark (outgoing: `events.incident_events_to_relay`, from
its beat sweep). webhooks knows nothing of either.
"""

from django.dispatch import Signal

incident_event_recorded = Signal()  # kwargs: incident_event_id: int
