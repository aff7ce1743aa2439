"""Where events come from. Installed from OutgoingConfig.ready().

- `rotation.handoff`: through the notifications core (see notifications/services.py). The planner
  makes one notification per subscribed, enabled endpoint (channel "webhook", target
  "endpoint:<id>", kind "webhook.event", not supersedable: every handoff is an event); the sender
  turns it into that endpoint's `Delivery` (unique per (endpoint, event id), so a re-sent
  notification makes no second delivery), which then follows its own retry schedule.
- `rotation.upcoming` and `rotation.shift_changed`: through the notifications core's upcoming
  shifts (notifications/upcoming.py): an upcoming planner (each endpoint's lead time, `leads()` per
  rotation) and a shift-changed planner (rotations of organizations with a subscribed endpoint);
  the same sender makes the delivery, with an event id from the notification's source (one per
  shift, or per change) shared by every endpoint.
- `incident.updated`: each event added to an incident's timeline by the PagerDuty webhook receiver
  makes one delivery per subscribed, enabled endpoint, as notifications do handoffs: the
  webhooks.hooks listener (on commit) is the fast nudge, and the sweep (beat, every minute) is the
  outbox scan that relays any entry of the last RELAY_SCAN_HOURS with no `IncidentEventRelay` row
  (the listener never ran: the process died between the commit and the call). The relay and its
  marker are one transaction, and the event id is the entry's (`evt_incident_<id>`, unique per
  endpoint), so the listener and a scan that overlap make one delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.db import transaction
from django.db.models import Q

from notifications import registry
from rotations.models import Rotation
from webhooks import hooks as incident_hooks
from webhooks.api import incident_json
from webhooks.models import IncidentEvent

from . import services
from .models import Endpoint, IncidentEventRelay

log = logging.getLogger(__name__)

CHANNEL = "webhook"
# The sweep relays incident events recorded this recently that the listener missed (older ones are
# history, not news: beat was stopped for a day).
RELAY_SCAN_HOURS = 24
KIND = registry.Kind("webhook.event", "Outgoing webhook", supersedable=False)
# The keys of the notification's payload each event's `data` carries.
DATA_KEYS = {
    "rotation.handoff": ("rotation", "handoffId", "at", "from", "to"),
    "rotation.upcoming": ("rotation", "shift", "leadMinutes"),
    "rotation.shift_changed": ("rotation", "person", "before", "after", "window"),
}


def _endpoints(organization_id: int, event_type: str) -> list[Endpoint]:
    return [e for e in services.subscribed(organization_id, event_type) if e.enabled]


def _cached(cache: dict, organization_id: int, event_type: str) -> list[Endpoint]:
    """The endpoints, loaded once per scan (the upcoming core shares `cache` across one scan)."""
    key = ("outgoing", organization_id, event_type)
    if key not in cache:
        cache[key] = _endpoints(organization_id, event_type)
    return cache[key]


def plan(handoff):
    for endpoint in _endpoints(handoff.rotation.organization_id, "rotation.handoff"):
        yield registry.Planned(CHANNEL, f"endpoint:{endpoint.pk}", KIND.key)


def _subscribed_rotations(event_type: str) -> list[tuple[int, int]]:
    """(rotation id, lead minutes) for each enabled endpoint of each rotation's organization that
    wants `event_type`: one query (rotations joined to their organization's endpoints)."""
    prefix = "organization__outgoing_webhook_endpoints__"
    rows = Rotation.objects.filter(**{f"{prefix}enabled": True}).values_list(
        "id", f"{prefix}events", f"{prefix}upcoming_lead_minutes"
    )
    return [(rotation_id, lead) for rotation_id, wanted, lead in rows if event_type in (wanted or [])]


def leads() -> dict[int, dt.timedelta]:
    """Per rotation, the longest lead time of its organization's rotation.upcoming endpoints (one query)."""
    longest: dict[int, int] = {}
    for rotation_id, lead in _subscribed_rotations("rotation.upcoming"):
        longest[rotation_id] = max(lead, longest.get(rotation_id, 0))
    return {rotation_id: dt.timedelta(minutes=minutes) for rotation_id, minutes in longest.items()}


def watched() -> set[int]:
    return {rotation_id for rotation_id, _ in _subscribed_rotations("rotation.shift_changed")}


def plan_upcoming(rotation, shift):
    for endpoint in _cached(shift.cache, rotation.organization_id, "rotation.upcoming"):
        if shift.lead <= dt.timedelta(minutes=endpoint.upcoming_lead_minutes):
            payload = {"event": "rotation.upcoming", "leadMinutes": endpoint.upcoming_lead_minutes}
            yield registry.Planned(CHANNEL, f"endpoint:{endpoint.pk}", KIND.key, payload)


def plan_shift_changed(rotation, change):
    for endpoint in _cached(change.cache, rotation.organization_id, "rotation.shift_changed"):
        yield registry.Planned(CHANNEL, f"endpoint:{endpoint.pk}", KIND.key, {"event": "rotation.shift_changed"})


def event_id(notification, event_type: str) -> str:
    if event_type == "rotation.handoff":
        return f"evt_handoff_{notification.handoff_id or notification.pk}"
    digest = hashlib.sha256(f"{notification.rotation_id}:{notification.source}".encode()).hexdigest()[:24]
    return f"evt_{event_type.removeprefix('rotation.')}_{digest}"


def send(notification) -> None:
    endpoint_id = notification.target.removeprefix("endpoint:")
    endpoint = Endpoint.objects.filter(pk=int(endpoint_id) if endpoint_id.isdigit() else 0).first()
    if endpoint is None:
        raise registry.Permanent("The webhook endpoint was deleted.")
    event_type = notification.payload.get("event") or "rotation.handoff"
    if event_type not in DATA_KEYS:
        raise registry.Permanent(f"Roster does not know the event {event_type}.")
    services.deliveries_create(
        endpoints=[endpoint],
        event_id=event_id(notification, event_type),
        event_type=event_type,
        data={key: notification.payload.get(key) for key in DATA_KEYS[event_type]},
        at=notification.source_at,
    )


def incident_event_relay(incident_event_id: int) -> None:
    """The listener (on commit) and the sweep's scan: one delivery per subscribed, enabled endpoint
    (none made twice: the event id is the entry's), and the entry marked relayed, in one transaction."""
    entry = IncidentEvent.objects.select_related("incident").filter(pk=incident_event_id).first()
    if entry is None:
        return
    endpoints = _endpoints(entry.incident.organization_id, "incident.updated")
    with transaction.atomic():
        if endpoints:
            services.deliveries_create(
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


def incident_events_to_relay(*, now: dt.datetime, limit: int = services.SWEEP_BATCH) -> list[int]:
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


def install() -> None:
    registry.register_kind(KIND)
    registry.register_planner(plan)
    registry.register_upcoming_planner(plan_upcoming, leads=leads)
    registry.register_shift_changed_planner(plan_shift_changed, watched=watched)
    registry.register_sender(CHANNEL, send)
    incident_hooks.register_incident_event_listener(incident_event_relay)
