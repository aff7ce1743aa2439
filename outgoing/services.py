"""Outgoing webhooks: endpoints (create, change, enable, delete) and the delivery of events to them.

Delivery. An event becomes one `Delivery` row per subscribed endpoint (`deliveries_create`, unique
per (endpoint, event id), so re-planning never makes a second), queued on commit. A worker delivers
it with `delivery_attempt`: it first claims the *endpoint* with a conditional update (`busy_since`
empty → now; one delivery in flight per endpoint, so one organization's slow or failing endpoint
holds at most one worker at a time, for at most TIMEOUT seconds), then the row (pending and due →
sending). The body is signed per Standard Webhooks (`webhook-id` = the event id, the same on every
retry; `webhook-timestamp`; `webhook-signature` v1 HMAC-SHA256) and POSTed through `safe_http`
(the SSRF guard; redirects not followed; at most 64 KiB of the answer is read and kept, in
`response_body`, then the connection is closed). The status code decides:
- 2xx: delivered; the endpoint is healthy again (`failing_since` cleared).
- a timeout, a connection error, 5xx or 429: tried again after BACKOFF[attempts - 1] (or the
  429's Retry-After, when longer), for about 24 hours in all, then failed.
- another status (4xx, a redirect) or an unsafe address: failed at once (trying again will not help).
An endpoint failing continuously (no success) for DISABLE_AFTER (24 h) is disabled and the
organization's admins are emailed. When a delivery ends, the next due one of the same endpoint is
queued; the sweeper (beat, every minute) queues the oldest due delivery of each idle endpoint,
round-robin, and frees endpoints and rows a dead worker left busy.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
import time
from collections.abc import Iterable

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.actor import Actor
from accounts.audit import audit_record
from accounts.models import Membership
from accounts.text import line_break_problem
from config import limits, retry_after
from config.celery import app, enqueue_each

from . import safe_http
from .models import DEFAULT_LEAD_MINUTES, EVENT_TYPES, Delivery, Endpoint

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds: connect and read each
# Seconds before the next try, by attempts made so far; the last try comes ~24 h after the first.
BACKOFF = (5, 300, 1800, 7200, 18000, 28800, 30300)
MAX_ATTEMPTS = len(BACKOFF) + 1
MAX_RETRY_AFTER = 6 * 3600  # a 429's Retry-After is honoured up to this
DISABLE_AFTER = dt.timedelta(hours=24)
STALE_SECONDS = 120  # a delivery takes TIMEOUT s; a worker gone this long died
REQUEUE_AFTER_SECONDS = 60
SWEEP_BATCH = 500
ERROR_MAX = 500
MAX_ENDPOINTS = 20  # per organization
MAX_LEAD_MINUTES = 7 * 24 * 60  # notifications.upcoming hears of shifts at most 7 days ahead
PROVIDER = "roster"  # audit trail: Roster's own settings
TEST_EVENT_RATE = "5/minute"  # per organization (config.limits)


class EndpointError(Exception):
    def __init__(self, message: str, code: str = "invalid_request", field: str | None = None):
        super().__init__(message)
        self.message, self.code, self.field = message, code, field


class RateLimited(EndpointError):
    """Too many of something: try again after `retry_after` seconds (the message says when)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, code="rate_limited")
        self.retry_after = retry_after


# --- endpoints ---------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def clean_url(url) -> str:
    if not isinstance(url, str) or not url.strip():
        raise EndpointError("Enter the URL Roster should send events to.", field="url")
    url = url.strip()
    if len(url) > 2000:
        raise EndpointError("The URL is too long (2000 characters at most).", field="url")
    try:
        return safe_http.check_url(url)
    except safe_http.UnsafeUrl as unsafe:
        raise EndpointError(unsafe.reason, code="unsafe_url", field="url") from unsafe


def clean_events(events) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise EndpointError("Choose at least one event.", field="events")
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise EndpointError(f"Unknown event {unknown[0]!r}: choose from {', '.join(EVENT_TYPES)}.", field="events")
    return [e for e in EVENT_TYPES if e in events]


def clean_description(description) -> str:
    if description is None:
        return ""
    if not isinstance(description, str) or len(description) > 200:
        raise EndpointError("The description is text of 200 characters at most.", field="description")
    if problem := line_break_problem(description.strip(), what="A description"):
        raise EndpointError(problem, field="description")
    return description.strip()


def clean_lead(minutes) -> int:
    if minutes is None:
        return DEFAULT_LEAD_MINUTES
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_LEAD_MINUTES:
        raise EndpointError(
            f"The lead time is a whole number of minutes from 1 to {MAX_LEAD_MINUTES} (7 days).",
            field="upcoming_lead_minutes",
        )
    return minutes


def endpoint_create(
    *, organization, url, events, description="", upcoming_lead_minutes=None, actor: Actor | None = None
) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret (returned this once; stored encrypted)."""
    url, events, description = clean_url(url), clean_events(events), clean_description(description)
    lead = clean_lead(upcoming_lead_minutes)
    if Endpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS:
        raise EndpointError(f"An organization has at most {MAX_ENDPOINTS} webhook endpoints.", code="limit_reached")
    secret = new_secret()
    endpoint = Endpoint.objects.create(
        organization=organization,
        url=url,
        events=events,
        description=description,
        upcoming_lead_minutes=lead,
        secret=secret,
        secret_last4=secret[-4:],
        created_by=actor.user if actor else None,
    )
    audit_record(
        organization=organization,
        provider=PROVIDER,
        action="webhook_endpoint_create",
        summary=f"Added webhook endpoint {url} (secret ending in {endpoint.secret_last4}) for {', '.join(events)}",
        actor=actor,
    )
    return endpoint, secret


def endpoint_update(*, endpoint: Endpoint, changes: dict, actor: Actor | None = None) -> Endpoint:
    """Change any of url, events, description, upcoming_lead_minutes, enabled (re-enabling clears the failure record)."""
    if "url" in changes:
        endpoint.url = clean_url(changes["url"])
    if "events" in changes:
        endpoint.events = clean_events(changes["events"])
    if "description" in changes:
        endpoint.description = clean_description(changes["description"])
    if "upcoming_lead_minutes" in changes:
        endpoint.upcoming_lead_minutes = clean_lead(changes["upcoming_lead_minutes"])
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise EndpointError("enabled must be true or false.", field="enabled")
        if changes["enabled"] and not endpoint.enabled:
            endpoint.enabled, endpoint.disabled_reason, endpoint.failing_since = True, "", None
        elif not changes["enabled"] and endpoint.enabled:
            label = actor.label if actor else "Roster"
            endpoint.enabled, endpoint.disabled_reason = False, f"Disabled by {label}."
    endpoint.save()
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_endpoint_update",
        summary=f"Changed webhook endpoint {endpoint.url}: {', '.join(sorted(changes)) or 'nothing'}",
        actor=actor,
    )
    if endpoint.enabled:
        transaction.on_commit(lambda: _queue_next(endpoint.pk))
    return endpoint


def endpoint_delete(*, endpoint: Endpoint, actor: Actor | None = None) -> None:
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_endpoint_delete",
        summary=f"Deleted webhook endpoint {endpoint.url} (secret ending in {endpoint.secret_last4})",
        actor=actor,
    )
    endpoint.delete()


# --- events → deliveries -----------------------------------------------------------------------


def event_body(event_type: str, data: dict, at: dt.datetime | None = None) -> dict:
    """The JSON body of every event (Standard Webhooks' shape): type, timestamp, data."""
    return {"type": event_type, "timestamp": (at or timezone.now()).isoformat(), "data": data}


def subscribed(organization_id: int, event_type: str) -> list[Endpoint]:
    return [e for e in Endpoint.objects.filter(organization_id=organization_id) if event_type in e.events]


def deliveries_create(
    *, endpoints: Iterable[Endpoint], event_id: str, event_type: str, data: dict, at=None
) -> list[int]:
    """One delivery per endpoint for this event (none made twice); queued once committed. Returns
    the ids of this event's deliveries still waiting."""
    endpoints = list(endpoints)
    body = event_body(event_type, data, at)
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(endpoint=e, event_id=event_id, event_type=event_type, payload=body, next_attempt_at=now)
            for e in endpoints
        ],
        ignore_conflicts=True,
    )
    ids = list(
        Delivery.objects.filter(endpoint__in=endpoints, event_id=event_id, status=Delivery.Status.PENDING).values_list(
            "id", flat=True
        )
    )
    transaction.on_commit(lambda: enqueue(ids))
    return ids


def endpoint_send_test(*, endpoint: Endpoint, actor: Actor | None = None) -> Delivery:
    """A `webhook.test` event for this endpoint alone, delivered like any other (its log shows it);
    RateLimited after TEST_EVENT_RATE of the organization's test events."""
    refused = limits.hit(TEST_EVENT_RATE, "outgoing-test-event", str(endpoint.organization_id))
    if refused:
        raise RateLimited(f"Too many test events: try again in {refused.wait_words()}.", refused.retry_after)
    event_id = f"evt_test_{secrets.token_hex(8)}"
    data = {"message": "A test event from Roster.", "endpointId": endpoint.pk, "sentBy": actor.label if actor else None}
    ids = deliveries_create(endpoints=[endpoint], event_id=event_id, event_type="webhook.test", data=data)
    return Delivery.objects.get(pk=ids[0])


def delivery_resend(*, delivery: Delivery, actor: Actor | None = None) -> bool:
    """Send this delivery again now, whatever became of it (not while it is being sent)."""
    now = timezone.now()
    done = (
        Delivery.objects.filter(pk=delivery.pk)
        .exclude(status=Delivery.Status.SENDING)
        .update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now, queued_at=None, error="")
    )
    if done:
        audit_record(
            organization=delivery.endpoint.organization,
            provider=PROVIDER,
            action="webhook_delivery_resend",
            summary=f"Resent {delivery.event_type} {delivery.event_id} to {delivery.endpoint.url}",
            actor=actor,
        )
        transaction.on_commit(lambda: enqueue([delivery.pk]))
    return bool(done)


DELIVER = "outgoing.tasks.deliver"  # queued by name: the tasks module imports this one


def enqueue(ids: list[int], *, delay: float = 0) -> int:
    """Queue one delivery task per row; a row whose message could not be queued waits for the sweep."""
    queued = enqueue_each(app.signature(DELIVER), ids, delay=delay, what="webhook delivery")
    if queued:
        mark_queued(ids=queued, at=timezone.now() + dt.timedelta(seconds=delay))
    return len(queued)


def _queue_next(endpoint_id: int) -> None:
    next_id = next_due(endpoint_id=endpoint_id, now=timezone.now())
    if next_id:
        enqueue([next_id])


# --- delivering one --------------------------------------------------------------------------


def signed_headers(endpoint: Endpoint, delivery: Delivery, body: str, now: dt.datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Roster-Webhooks/1",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(delivery.event_id, now, body),
    }


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    """The endpoint first (one in flight per endpoint), then the row; None when either is taken."""
    row = Delivery.objects.filter(pk=delivery_id).values("endpoint_id").first()
    if row is None:
        return None
    endpoint_id = row["endpoint_id"]
    if not Endpoint.objects.filter(pk=endpoint_id, enabled=True, busy_since=None).update(busy_since=now):
        return None
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now).update(
        status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        Endpoint.objects.filter(pk=endpoint_id, busy_since=now).update(busy_since=None)
        return None
    return Delivery.objects.select_related("endpoint__organization").get(pk=delivery_id)


def response_text(body: bytes) -> str:
    """The kept bytes of an answer (at most safe_http.MAX_RESPONSE_BYTES) as text a database stores."""
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _send(endpoint: Endpoint, delivery: Delivery, now: dt.datetime) -> tuple[str, dict]:
    """POST it once: ("delivered" | "retry" | "failed", fields to record)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    headers = signed_headers(endpoint, delivery, body, now)
    started = time.monotonic()
    fields: dict = {"response_code": None, "latency_ms": None, "response_body": ""}
    try:
        response = safe_http.post(endpoint.url, data=body.encode(), headers=headers, timeout=TIMEOUT)
    except safe_http.UnsafeUrl as unsafe:
        return "failed", fields | {"error": f"Refused: {unsafe.reason}"}
    except requests.Timeout:
        return "retry", fields | {"error": f"No answer within {TIMEOUT:g} seconds."}
    except requests.RequestException as exc:
        reason = (
            "The TLS certificate could not be verified."
            if isinstance(exc, requests.exceptions.SSLError)
            else ("Could not connect to the endpoint.")
        )
        return "retry", fields | {"error": reason}
    fields = {
        "response_code": response.status_code,
        "latency_ms": round((time.monotonic() - started) * 1000),
        "response_body": response_text(response.body),
    }
    status = response.status_code
    if 200 <= status < 300:
        return "delivered", fields | {"error": ""}
    if status == 429:
        return "retry", fields | {
            "error": "The endpoint answered 429 Too Many Requests.",
            "wait": retry_after.seconds(response.headers.get("Retry-After"), maximum=MAX_RETRY_AFTER),
        }
    if status >= 500:
        return "retry", fields | {"error": f"The endpoint answered {status} (a server error)."}
    if 300 <= status < 400:
        return "failed", fields | {
            "error": f"The endpoint answered {status} (a redirect); Roster does not follow redirects: use the final URL."
        }
    return "failed", fields | {"error": f"The endpoint answered {status}; Roster does not retry a {status}."}


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Try one delivery if it is waiting and due and its endpoint is free; returns what happened
    ("delivered", "pending" (retry planned), "failed", or "not_due": not ours to send now)."""
    now = now or timezone.now()
    row = _claim(delivery_id, now)
    if row is None:
        return "not_due"
    endpoint = row.endpoint
    try:
        outcome, fields = _send(endpoint, row, now)
        wait = fields.pop("wait", None)
        fields["error"] = fields["error"][:ERROR_MAX]
        if outcome == "delivered":
            status = Delivery.Status.DELIVERED
            fields |= {"status": status, "delivered_at": timezone.now(), "next_attempt_at": None}
        elif outcome == "retry" and row.attempts < MAX_ATTEMPTS:
            status = Delivery.Status.PENDING
            delay = BACKOFF[row.attempts - 1]
            if wait is not None:
                delay = max(delay, min(wait, MAX_RETRY_AFTER))
            at = now + dt.timedelta(seconds=delay)
            fields |= {"status": status, "next_attempt_at": at, "queued_at": None}
        else:
            status = Delivery.Status.FAILED
            if outcome == "retry":
                fields["error"] = f"Gave up after {row.attempts} attempts: {fields['error']}"[:ERROR_MAX]
            fields |= {"status": status, "next_attempt_at": None}
        Delivery.objects.filter(pk=row.pk, status=Delivery.Status.SENDING, claimed_at=row.claimed_at).update(**fields)
        _endpoint_health(endpoint, ok=outcome == "delivered", now=now)
    finally:
        Endpoint.objects.filter(pk=endpoint.pk, busy_since=now).update(busy_since=None)
    return str(status)


def _endpoint_health(endpoint: Endpoint, *, ok: bool, now: dt.datetime) -> None:
    if ok:
        Endpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
        return
    Endpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
    since = Endpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
    if since is not None and now - since >= DISABLE_AFTER:
        endpoint_disable_failing(endpoint_id=endpoint.pk, since=since)


def endpoint_disable_failing(*, endpoint_id: int, since: dt.datetime) -> bool:
    reason = f"Disabled by Roster: every delivery failed since {since:%Y-%m-%d %H:%M} UTC (24 hours)."
    if not Endpoint.objects.filter(pk=endpoint_id, enabled=True).update(enabled=False, disabled_reason=reason):
        return False
    endpoint = Endpoint.objects.select_related("organization").get(pk=endpoint_id)
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_endpoint_disabled",
        summary=f"Disabled webhook endpoint {endpoint.url}: failing for 24 hours",
    )
    admins = list(
        Membership.objects.filter(organization=endpoint.organization, role=Membership.Role.ADMIN).values_list(
            "user__email", flat=True
        )
    )
    link = f"{settings.PUBLIC_BASE_URL}/settings/webhooks/{endpoint.pk}/"
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Roster disabled the webhook endpoint {endpoint.url}",
            message=(
                f"Every delivery to {endpoint.url} has failed since {since:%Y-%m-%d %H:%M} UTC, so Roster "
                f"stopped sending to it. Events since then are kept.\n\nLast error: "
                f"{endpoint.deliveries.order_by('-claimed_at').values_list('error', flat=True).first() or 'unknown'}\n\n"
                f"Fix the endpoint, then enable it again (its waiting events are sent then): {link}\n"
            ),
            from_email=None,
            recipient_list=admins,
            fail_silently=True,
        )
    )
    return True


# --- the sweeper -------------------------------------------------------------------------------


def next_due(*, endpoint_id: int, now: dt.datetime) -> int | None:
    return (
        Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
        .first()
    )


def requeue_stuck(*, now: dt.datetime) -> int:
    """Rows left `sending` (the worker died) go back to pending; endpoints left busy are freed."""
    stale = now - dt.timedelta(seconds=STALE_SECONDS)
    Endpoint.objects.filter(busy_since__lt=stale).update(busy_since=None)
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        queued_at=None,
        error="The worker stopped while sending this; trying again.",
    )


def due_round_robin(*, now: dt.datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """The oldest due delivery of each enabled, idle endpoint whose message was never queued or is
    lost: one per endpoint, so an endpoint with a thousand waiting cannot crowd out the others."""
    lost = now - dt.timedelta(seconds=REQUEUE_AFTER_SECONDS)
    rows = (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__enabled=True,
            endpoint__busy_since=None,
        )
        .filter(Q(queued_at=None) | Q(queued_at__lt=lost))
        .values("endpoint_id")
        .annotate(first=Min("id"), due=Min("next_attempt_at"))
        .order_by("due")[:limit]
    )
    return [r["first"] for r in rows]


def mark_queued(*, ids: list[int], at: dt.datetime) -> None:
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(queued_at=at)
