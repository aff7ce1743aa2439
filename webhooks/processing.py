"""Apply a stored delivery to Roster's incidents. Plain functions: the task and tests call them.

Rules:
- Events are applied by `occurred_at`: an incident's snapshot only moves forward, so a resolved
  incident is not re-opened by an acknowledge that arrives late. The late event still joins the
  timeline (marked "not applied"), and fills fields Roster did not know yet.
- `incident.custom_field_values.updated` carries only a reference: an unknown incident is created
  as a stub and filled in when its other events arrive.
- `pagey.ping` (PagerDuty's "Send test notification") is recorded on the endpoint.
- Other event types are stored and skipped.
- Processing is idempotent: a delivery is claimed under a row lock, and an event already on an
  incident's timeline is not applied twice.
- Each event added to a timeline is told to `signals.incident_event_recorded` listeners once committed
  (outgoing webhooks).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.signals import send_on_commit
from integrations.pagerduty import client as pd

from . import signals
from .models import Delivery, Incident, IncidentEvent, WebhookEndpoint, field_value_text
from .queueing import queue_fetch

log = logging.getLogger(__name__)

CUSTOM_FIELDS_EVENT = "incident.custom_field_values.updated"
# The events the card asks admins to subscribe to: every one that changes what the incident pages show.
SUBSCRIBED_EVENTS = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.reopened",
    "incident.resolved",
    "incident.reassigned",
    "incident.escalated",
    "incident.delegated",
    "incident.priority_updated",
    CUSTOM_FIELDS_EVENT,
]
PING_EVENT = "pagey.ping"
# With equal `occurred_at`, a later stage wins over an earlier one.
STATUS_RANK = {"triggered": 0, "acknowledged": 1, "resolved": 2}
# Deliveries in these states are done: processing them again changes nothing.
FINAL = (Delivery.Status.PROCESSED, Delivery.Status.SKIPPED, Delivery.Status.REJECTED)
# Fields an older event may still fill in when Roster does not know them (they do not change
# during an incident's life); everything else only moves forward.
FILL_IF_UNKNOWN = ("number", "title", "html_url", "incident_key", "pagerduty_created_at", "service_id", "service_name")


class Skip(Exception):
    """The delivery is valid but Roster has nothing to do with it."""


def _ref(obj) -> dict:
    return obj if isinstance(obj, dict) else {}


def parse_event(body: bytes) -> dict:
    """The `event` object of a V3 delivery; ValueError when the body is not one."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("event"), dict):
        raise ValueError("not a V3 webhook body")
    return data["event"]


def _datetime(value) -> datetime | None:
    """An aware datetime from an ISO 8601 string; None for anything else (or an impossible date)."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if parsed is None or timezone.is_aware(parsed):
        return parsed
    return parsed.replace(tzinfo=UTC)


def clean_text(value, limit: int) -> str:
    """Text safe for any database column: a string, without NUL characters, at most `limit` long."""
    return value.replace("\x00", "")[:limit] if isinstance(value, str) else ""


def _clean_json(value):
    """A JSON value with NUL characters removed from its strings (PostgreSQL's jsonb refuses them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {_clean_json(k): _clean_json(v) for k, v in value.items()}
    return value


def _text(value, limit: int) -> str:
    return clean_text(str(value), limit) if value not in (None, "") else ""


def event_incident_id(event: dict) -> str:
    """The PagerDuty id of the incident an event is about: its `data` when that is an incident, else
    the incident `data` refers to (a custom-field event). "" when there is none or the value cannot be
    one: ids are printable, and one with a line break could not be put in an /incidents/<id>/ link
    (NoReverseMatch, a 500 on every page that lists it)."""
    data = _ref(event.get("data"))
    incident = data if data.get("type") == "incident" else _ref(data.get("incident"))
    text = _text(incident.get("id"), 40)
    return text if text.isprintable() else ""


def _dicts(items) -> list[dict]:
    """The objects of a JSON list; none when it is not a list."""
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _refs(items) -> list[dict]:
    return [{"id": _text(i.get("id"), 40), "summary": _text(i.get("summary"), 255)} for i in _dicts(items)]


def _resolve_reason(value) -> str:
    """PagerDuty's resolve_reason: null, or {"type": "merge_resolve_reason", "incident": {reference}}."""
    merged_into = _ref(_ref(value).get("incident"))
    name = _text(merged_into.get("summary") or merged_into.get("id"), 480)
    return f"Merged into {name}" if name else ""


def incident_fields(data: dict) -> dict:
    """Incident model fields from an `incident` object as PagerDuty's webhooks carry it."""
    created = _datetime(data.get("created_at"))
    number = data.get("number")
    return {
        "number": number if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < 2**31 else None,
        "title": _text(data.get("title"), 1000),
        "status": _text(data.get("status"), 20),
        "urgency": _text(data.get("urgency"), 20),
        "priority": _text(_ref(data.get("priority")).get("summary"), 100),
        "service_id": _text(_ref(data.get("service")).get("id"), 40),
        "service_name": _text(_ref(data.get("service")).get("summary"), 255),
        "escalation_policy_id": _text(_ref(data.get("escalation_policy")).get("id"), 40),
        "escalation_policy_name": _text(_ref(data.get("escalation_policy")).get("summary"), 255),
        "assignees": _refs(data.get("assignees")),
        "teams": _refs(data.get("teams")),
        "html_url": _text(pd.web_link(data.get("html_url")), 500),
        "incident_key": _text(data.get("incident_key"), 255),
        "resolve_reason": _resolve_reason(data.get("resolve_reason")),
        "pagerduty_created_at": created,
    }


def _locked_incident(organization_id: int, pagerduty_id: str, html_url: str = "") -> Incident:
    """The incident row, locked for this transaction; created as a stub when unknown."""
    queryset = Incident.objects.select_for_update()
    incident = queryset.filter(organization_id=organization_id, pagerduty_id=pagerduty_id).first()
    if incident is not None:
        return incident
    try:
        with transaction.atomic():
            Incident.objects.create(organization_id=organization_id, pagerduty_id=pagerduty_id, html_url=html_url)
    except IntegrityError:
        pass  # created by a concurrent delivery
    return queryset.get(organization_id=organization_id, pagerduty_id=pagerduty_id)


def _is_newer(occurred_at: datetime, as_of: datetime | None, new_status: str = "", old_status: str = "") -> bool:
    if as_of is None or occurred_at > as_of:
        return True
    if occurred_at < as_of:
        return False
    return STATUS_RANK.get(new_status, -1) >= STATUS_RANK.get(old_status, -1)


def _timeline_entry(incident, delivery, event, occurred_at, *, applied: bool, summary: str) -> bool:
    """Add the event to the timeline. False when it is already there (a replay)."""
    event_id = _text(event.get("id"), 100) or f"delivery-{delivery.pk}"
    if IncidentEvent.objects.filter(incident=incident, event_id=event_id).exists():
        return False
    entry = IncidentEvent.objects.create(
        incident=incident,
        delivery=delivery,
        event_id=event_id,
        event_type=_text(event.get("event_type"), 100),
        occurred_at=occurred_at,
        agent=_text(_ref(event.get("agent")).get("summary"), 255),
        summary=summary[:500],
        applied=applied,
    )
    send_on_commit(signals.incident_event_recorded, incident_event_id=entry.pk)
    return True


def apply_incident_event(delivery: Delivery, event: dict, occurred_at: datetime) -> Incident:
    data = event["data"]
    pagerduty_id = event_incident_id(event)
    if not pagerduty_id:
        raise Skip("the incident has no id")
    fields = incident_fields(data)
    incident = _locked_incident(delivery.organization_id, pagerduty_id, fields["html_url"])
    newer = _is_newer(occurred_at, incident.state_as_of, fields["status"], incident.status)
    status_word = fields["status"] or "updated"
    if not _timeline_entry(
        incident, delivery, event, occurred_at, applied=newer, summary=f"{event.get('event_type')}: {status_word}"
    ):
        return incident
    if newer:
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.state_as_of = occurred_at
    else:
        # A late, older event: keep the newer state, only fill identity fields still unknown.
        for name in FILL_IF_UNKNOWN:
            value = fields[name]
            if value and not getattr(incident, name):
                setattr(incident, name, value)
    incident.is_stub = False
    incident.save()
    return incident


def apply_fetched_incident(incident_pk: int, data: dict, fetched_at: datetime) -> Incident | None:
    """Fill a stub with the REST API's incident (`GET /incidents/{id}`), unless a webhook event filled
    it meanwhile."""
    assignees = [a.get("assignee") for a in _dicts(data.get("assignments"))]
    fields = incident_fields({**data, "number": data.get("incident_number"), "assignees": assignees})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_pk).first()
        if incident is None or not incident.is_stub or incident.state_as_of is not None:
            return incident
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.state_as_of = fetched_at
        incident.is_stub = False
        incident.save()
        return incident


def _custom_field(item: dict) -> dict:
    return {
        "id": _text(item.get("id"), 40),
        "name": _text(item.get("name"), 255),
        "data_type": _text(item.get("data_type"), 40),
        "field_type": _text(item.get("field_type"), 40),
        "value": _clean_json(item.get("value")),
    }


def apply_custom_fields(delivery: Delivery, event: dict, occurred_at: datetime) -> Incident:
    data = event["data"]
    ref = _ref(data.get("incident"))
    pagerduty_id = event_incident_id(event)
    if not pagerduty_id:
        raise Skip("the custom field event names no incident")
    incident = _locked_incident(delivery.organization_id, pagerduty_id, _text(pd.web_link(ref.get("html_url")), 500))
    if incident.is_stub and incident.state_as_of is None:
        transaction.on_commit(partial(queue_fetch, incident.pk))
    newer = incident.custom_fields_as_of is None or occurred_at >= incident.custom_fields_as_of
    changed = [_custom_field(i) for i in _dicts(data.get("changed_custom_fields"))]
    names = ", ".join(f"{c['name']} = {field_value_text(c['value'])}" for c in changed) or "custom fields updated"
    if not _timeline_entry(incident, delivery, event, occurred_at, applied=newer, summary=names):
        return incident
    if newer:
        incident.custom_fields = [_custom_field(i) for i in _dicts(data.get("custom_fields"))]
        incident.custom_fields_as_of = occurred_at
        if not incident.title and ref.get("summary"):
            incident.title = _text(ref.get("summary"), 1000)
        incident.save()
    return incident


def _apply(delivery: Delivery) -> str:
    """Apply one delivery; returns the resulting status."""
    try:
        event = parse_event(bytes(delivery.raw_body))
    except ValueError as exc:
        raise Skip("the body is not a PagerDuty V3 event") from exc
    event_type = event.get("event_type")
    occurred_at = _datetime(event.get("occurred_at")) or delivery.received_at
    data = _ref(event.get("data"))
    if event_type == PING_EVENT:
        WebhookEndpoint.objects.filter(organization_id=delivery.organization_id).update(
            last_ping_at=delivery.received_at
        )
        return Delivery.Status.PROCESSED
    if event_type == CUSTOM_FIELDS_EVENT and data.get("type") == "incident_field_values":
        apply_custom_fields(delivery, event, occurred_at)
        return Delivery.Status.PROCESSED
    if isinstance(event_type, str) and event_type.startswith("incident.") and data.get("type") == "incident":
        apply_incident_event(delivery, event, occurred_at)
        return Delivery.Status.PROCESSED
    raise Skip(f"Roster does not use {str(event_type)[:80]} events")


def process_delivery(delivery_id: int) -> str | None:
    """Process one stored delivery. Safe to call any number of times, concurrently too."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None:
                return None
            if delivery.status in FINAL or delivery.status == Delivery.Status.HELD or not delivery.verified:
                return delivery.status
            try:
                delivery.status = _apply(delivery)
                delivery.error = ""
            except Skip as skip:
                delivery.status = Delivery.Status.SKIPPED
                delivery.error = str(skip)[:500]
            delivery.processed_at = timezone.now()
            delivery.save(update_fields=["status", "error", "processed_at"])
            return delivery.status
    except Exception as exc:
        log.exception("Processing webhook delivery %s failed", delivery_id)
        Delivery.objects.filter(pk=delivery_id).exclude(status__in=FINAL).update(
            status=Delivery.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500], attempts=F("attempts") + 1
        )
        return Delivery.Status.FAILED
