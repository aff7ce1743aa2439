"""The `webhook` channel of notifications: each event for an endpoint is one notification (target
"endpoint:<id>", kind "webhook.<event type>", never superseded: every event is one a script wants),
delivered, retried, swept and resent by the notifications engine (notifications/services.py).

Where events come from:
- `rotation.handoff`: `plan(handoff)`, one row per subscribed, enabled endpoint;
- `rotation.upcoming`: `plan_upcoming`, each endpoint's own lead time (`leads()` per rotation);
- `rotation.shift_changed`: `plan_shift_changed` (rotations of organizations with a subscriber);
- `cover_request.created / .taken / .cancelled / .expired`: `plan_cover` (notifications'
  cover_events.py makes each once, with the request as it was at the event);
- `incident.updated` and `webhook.test`: rows of no rotation made by `events.py` and
  `services.endpoint_send_test`.
The row's payload carries `eventId` (the `webhook-id` header, the same on every retry, unique per
endpoint) and what the body's `data` is made of.

Sending (`send`): the body (`{"type", "timestamp", "data"}`) is signed per Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature` v1 HMAC-SHA256) and POSTed through
`safe_http` (the SSRF guard, its port rule included, checked again at each delivery; redirects not
followed; at most 64 KiB of the answer is read and kept, in `response_body`, then the connection is
closed), TIMEOUT seconds to connect and to read.
- 2xx: sent; the endpoint is healthy again (`failing_since` cleared).
- a timeout, a connection error, 5xx or 429: tried again after BACKOFF[attempts - 1] (or the
  429's Retry-After, when longer), for about 24 hours in all, then failed.
- another status (4xx, a redirect) or an unsafe address: failed at once.
An endpoint failing continuously (no success) for DISABLE_AFTER (24 h) is disabled and the
organization's admins are emailed (`services.endpoint_disable_failing`).

One delivery in flight per endpoint: the channel is `serial`; `take` sets the endpoint's
`busy_since` by a conditional update (enabled and free → now), a condition of the row's claim, so
one organization's slow or failing endpoint holds at most one worker, for at most TIMEOUT seconds.
When a delivery ends, the next due one of the endpoint is queued; the sweeper serves the oldest
due row of each free endpoint, round-robin, frees endpoints a dead worker left busy and relays
incident events no listener reached (`sweep`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from urllib.parse import urlsplit

import requests
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from config import retry_after
from notifications import registry
from notifications.models import Notification
from rotations.models import Rotation

from . import events, safe_http, services
from .models import Endpoint

CHANNEL = services.CHANNEL
KINDS = tuple(
    registry.Kind(f"webhook.{event}", f"Outgoing webhook: {event}", supersedable=False)
    for event in [*services.EVENT_TYPES, "webhook.test"]
)
COVER_EVENTS = ("created", "taken", "cancelled", "expired")  # cover requests' events sent as cover_request.<event>
TIMEOUT = 5.0  # seconds: connect and read each
# Seconds before the next try, by attempts made so far; the last try comes ~24 h after the first.
BACKOFF = (5, 300, 1800, 7200, 18000, 28800, 30300)
STALE_SECONDS = 120  # a delivery takes TIMEOUT s; an endpoint busy this long was left by a dead worker
# The keys of the notification's payload each rotation event's `data` carries.
DATA_KEYS = {
    "rotation.handoff": ("rotation", "handoffId", "at", "from", "to"),
    "rotation.upcoming": ("rotation", "shift", "leadMinutes"),
    "rotation.shift_changed": ("rotation", "person", "before", "after", "window"),
    **{f"cover_request.{event}": ("rotation", "coverRequest") for event in COVER_EVENTS},
}


def _rotation_event_id(rotation_id: int, source: str, event_type: str) -> str:
    digest = hashlib.sha256(f"{rotation_id}:{source}".encode()).hexdigest()[:24]
    return f"evt_{event_type.removeprefix('rotation.')}_{digest}"


def body(row: Notification) -> dict:
    """What is POSTed: a migrated row's body as it was, else made from the payload."""
    if "body" in row.payload:
        return row.payload["body"]
    event_type = row.kind.removeprefix("webhook.")
    data = row.payload.get("data")
    if data is None:
        data = {key: row.payload.get(key) for key in DATA_KEYS.get(event_type, ())}
    return {"type": event_type, "timestamp": row.source_at.isoformat(), "data": data}


def signed_headers(secret: str, event_id: str, text: str, now: dt.datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Roster-Webhooks/1",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, now, text),
    }


def _post(row: Notification, endpoint: Endpoint) -> None:
    """POST it once; returns on a 2xx, else raises SendError (the answer is recorded on the row)."""
    now = timezone.now()
    text = json.dumps(body(row), separators=(",", ":"), ensure_ascii=False)
    headers = signed_headers(endpoint.secret, row.payload.get("eventId") or f"evt_{row.pk}", text, now)
    started = time.monotonic()
    try:
        response = safe_http.post(endpoint.url, data=text.encode(), headers=headers, timeout=TIMEOUT)
    except safe_http.UnsafeUrl as unsafe:
        raise registry.SendError(f"Refused: {unsafe.reason}", permanent=True) from None
    except requests.Timeout:
        raise registry.SendError(f"No answer within {TIMEOUT:g} seconds.") from None
    except requests.exceptions.SSLError:
        raise registry.SendError("The TLS certificate could not be verified.") from None
    except requests.RequestException:
        raise registry.SendError("Could not connect to the endpoint.") from None
    row.response_code, row.latency_ms = response.status_code, round((time.monotonic() - started) * 1000)
    # The kept bytes (at most safe_http.MAX_RESPONSE_BYTES) as text a database stores (no NUL).
    row.response_body = response.body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        wait = retry_after.seconds(response.headers.get("Retry-After"), maximum=registry.MAX_RETRY_AFTER)
        raise registry.SendError("The endpoint answered 429 Too Many Requests.", retry_after=wait)
    if status >= 500:
        raise registry.SendError(f"The endpoint answered {status} (a server error).")
    if 300 <= status < 400:
        raise registry.SendError(
            f"The endpoint answered {status} (a redirect); Roster does not follow redirects: use the final URL.",
            permanent=True,
        )
    raise registry.SendError(f"The endpoint answered {status}; Roster does not retry a {status}.", permanent=True)


def _subscribed_rotations(event_type: str) -> list[tuple[int, int]]:
    """(rotation id, lead minutes) for each enabled endpoint of each rotation's organization that
    wants `event_type`: one query (rotations joined to their organization's endpoints)."""
    prefix = "organization__outgoing_webhook_endpoints__"
    rows = Rotation.objects.filter(**{f"{prefix}enabled": True}).values_list(
        "id", f"{prefix}events", f"{prefix}upcoming_lead_minutes"
    )
    return [(rotation_id, lead) for rotation_id, wanted, lead in rows if event_type in (wanted or [])]


def _cached(cache: dict, organization_id: int, event_type: str) -> list[Endpoint]:
    """The endpoints, loaded once per scan (the upcoming core shares `cache` across one scan)."""
    key = ("outgoing", organization_id, event_type)
    if key not in cache:
        cache[key] = services.subscribed(organization_id, event_type)
    return cache[key]


class WebhookChannel(registry.Channel):
    key = CHANNEL
    kinds = KINDS
    backoff = BACKOFF
    rate_limited_attempts = len(BACKOFF) + 1
    serial = True

    def plan(self, handoff):
        for endpoint in services.subscribed(handoff.rotation.organization_id, "rotation.handoff"):
            payload = {"eventId": f"evt_handoff_{handoff.pk}"}
            yield registry.Planned(CHANNEL, services.target(endpoint.pk), "webhook.rotation.handoff", payload)

    def leads(self) -> dict[int, dt.timedelta]:
        """Per rotation, the longest lead time of its organization's rotation.upcoming endpoints (one query)."""
        longest: dict[int, int] = {}
        for rotation_id, lead in _subscribed_rotations("rotation.upcoming"):
            longest[rotation_id] = max(lead, longest.get(rotation_id, 0))
        return {rotation_id: dt.timedelta(minutes=minutes) for rotation_id, minutes in longest.items()}

    def plan_upcoming(self, rotation, shift):
        event_id = _rotation_event_id(rotation.pk, shift.source, "rotation.upcoming")
        for endpoint in _cached(shift.cache, rotation.organization_id, "rotation.upcoming"):
            if shift.lead <= dt.timedelta(minutes=endpoint.upcoming_lead_minutes):
                payload = {"eventId": event_id, "leadMinutes": endpoint.upcoming_lead_minutes}
                yield registry.Planned(CHANNEL, services.target(endpoint.pk), "webhook.rotation.upcoming", payload)

    def target_labels(self, rotation, targets):
        """The endpoint's description, else its URL's host (the rest of a URL may hold a token)."""
        found = Endpoint.objects.filter(
            organization=rotation.organization_id, pk__in=[services.endpoint_id(t) for t in targets]
        )
        return {services.target(e.pk): e.description or urlsplit(e.url).hostname for e in found}

    def watched(self) -> set[int]:
        return {rotation_id for rotation_id, _ in _subscribed_rotations("rotation.shift_changed")}

    def plan_shift_changed(self, rotation, change):
        payload = {"eventId": _rotation_event_id(rotation.pk, change.source, "rotation.shift_changed")}
        for endpoint in _cached(change.cache, rotation.organization_id, "rotation.shift_changed"):
            yield registry.Planned(CHANNEL, services.target(endpoint.pk), "webhook.rotation.shift_changed", payload)

    def plan_cover(self, cover, event):
        if event not in COVER_EVENTS:
            return
        event_type = f"cover_request.{event}"
        payload = {"eventId": f"evt_cover_request_{cover.pk}_{event}"}
        for endpoint in services.subscribed(cover.organization_id, event_type):
            yield registry.Planned(CHANNEL, services.target(endpoint.pk), f"webhook.{event_type}", payload)

    def send(self, notification: Notification) -> None:
        endpoint = Endpoint.objects.filter(pk=services.endpoint_id(notification.target)).first()
        if endpoint is None:
            raise registry.SendError("The webhook endpoint was deleted.", permanent=True)
        now = timezone.now()
        try:
            _post(notification, endpoint)
        except registry.SendError:
            services.endpoint_health(endpoint, ok=False, now=now)
            raise
        services.endpoint_health(endpoint, ok=True, now=now)

    def retry_wait(self, attempts: int, error: registry.SendError) -> float:
        wait = float(BACKOFF[min(attempts, len(BACKOFF)) - 1])
        if error.retry_after is not None:
            wait = max(wait, min(error.retry_after, registry.MAX_RETRY_AFTER))
        return wait

    def take(self, target: str, now: dt.datetime) -> bool:
        """The endpoint, enabled and free → busy (one in flight); a deleted one lets the row fail."""
        found = Endpoint.objects.filter(pk=services.endpoint_id(target))
        return bool(found.filter(enabled=True, busy_since=None).update(busy_since=now)) or not found.exists()

    def release(self, target: str, now: dt.datetime) -> None:
        Endpoint.objects.filter(pk=services.endpoint_id(target), busy_since=now).update(busy_since=None)

    def free(self, targets: set[str]) -> set[str]:
        ids = Endpoint.objects.filter(
            pk__in=[services.endpoint_id(t) for t in targets], enabled=True, busy_since=None
        ).values_list("pk", flat=True)
        return {services.target(pk) for pk in ids}

    def sweep(self, now: dt.datetime) -> dict[str, int]:
        Endpoint.objects.filter(busy_since__lt=now - dt.timedelta(seconds=STALE_SECONDS)).update(busy_since=None)
        return {"relayed": events.relay_missed_incident_events(now=now)}
