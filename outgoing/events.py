"""incident.updated: each event added to an incident's timeline by the PagerDuty webhook receiver
makes one row of the webhook channel per subscribed, enabled endpoint (no rotation), as
notifications do handoffs: the webhooks.signals listener (on commit) is the fast nudge, and the
sweeper (`WebhookChannel.sweep`, beat, every minute) is the outbox scan that relays any entry of the
last RELAY_SCAN_HOURS with no `IncidentEventRelay` row (the listener never ran: the process died
between the commit and the call). The rows and the marker are one transaction, and the event id is
the entry's (`evt_incident_<id>`, unique per endpoint), so the listener and a scan that overlap
make one delivery.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q

from webhooks.api import incident_json
from webhooks.models import IncidentEvent

from . import services
from .models import Endpoint, IncidentEventRelay

log = logging.getLogger(__name__)

# The sweep relays incident events recorded this recently that the listener missed (older ones are
# history, not news: beat was stopped for a day).
RELAY_SCAN_HOURS = 24
SCAN_BATCH = 500


def incident_event_listener(sender=None, *, incident_event_id: int, **kwargs) -> None:
    """webhooks.signals.incident_event_recorded, after the commit: relay it now."""
    incident_event_relay(incident_event_id)


def incident_event_relay(incident_event_id: int) -> None:
    """The listener (on commit) and the sweep's scan: one delivery per subscribed, enabled endpoint
    (none made twice: the event id is the entry's), and the entry marked relayed, in one transaction."""
    entry = IncidentEvent.objects.select_related("incident").filter(pk=incident_event_id).first()
    if entry is None:
        return
    endpoints = services.subscribed(entry.incident.organization_id, "incident.updated")
    with transaction.atomic():
        if endpoints:
            services.events_create(
                organization_id=entry.incident.organization_id,
                endpoints=endpoints,
                event_id=f"evt_incident_{entry.pk}",
                event_type="incident.updated",
                data=incident_data(entry),
                at=entry.occurred_at,
            )
        IncidentEventRelay.objects.bulk_create(
            [IncidentEventRelay(incident_event=entry, deliveries=len(endpoints))], ignore_conflicts=True
        )


def incident_data(entry: IncidentEvent) -> dict:
    return {
        "incident": incident_json(entry.incident),
        "event": {
            "id": entry.event_id,
            "type": entry.event_type,
            "occurredAt": entry.occurred_at.isoformat(),
            "agent": entry.agent or None,
            "summary": entry.summary,
            "applied": entry.applied,
        },
    }


def incident_events_to_relay(*, now: dt.datetime, limit: int = SCAN_BATCH) -> list[int]:
    """The outbox scan: timeline entries recorded in the last RELAY_SCAN_HOURS, of organizations
    with an enabled endpoint subscribed to incident.updated, that were never relayed (the listener
    did not run: the process died between the commit and the call). Oldest first."""
    organizations = {
        e.organization_id for e in Endpoint.objects.filter(enabled=True) if "incident.updated" in (e.events or [])
    }
    if not organizations:
        return []
    since = now - dt.timedelta(hours=RELAY_SCAN_HOURS)
    recent = Q(delivery__received_at__gte=since) | Q(delivery__isnull=True, occurred_at__gte=since)
    return list(
        IncidentEvent.objects.filter(recent, incident__organization_id__in=organizations, outgoing_relay__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def relay_missed_incident_events(*, now: dt.datetime) -> int:
    ids = incident_events_to_relay(now=now)
    for incident_event_id in ids:
        try:
            incident_event_relay(incident_event_id)
        except Exception:
            log.exception("Could not relay incident event %s", incident_event_id)
    return len(ids)
