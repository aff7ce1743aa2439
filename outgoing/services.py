"""Outgoing webhooks: endpoints (create, change, enable, delete), the events of no rotation made for
them (incident.updated, webhook.test), and an endpoint's health (disabled after 24 h of failures).
Each event for an endpoint is a notification of the `webhook` channel (channel.py says how it is
delivered).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from collections.abc import Iterable

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from accounts.models import Membership
from accounts.numbers import whole
from accounts.refusal import Refusal
from accounts.text import SPACE, line_break_problem
from config import limits, mail
from config.links import public_url
from notifications import registry, tasks
from notifications import services as engine
from notifications.models import Notification

from . import safe_http
from .models import DEFAULT_LEAD_MINUTES, EVENT_TYPES, Endpoint

CHANNEL = "webhook"
DISABLE_AFTER = dt.timedelta(hours=24)
MAX_ENDPOINTS = 20  # per organization
# The URL's shape, as the API describes it (what else is refused is the server's call: safe_http.check_url).
URL_PATTERN = f"^{SPACE}*(?:[Hh][Tt][Tt][Pp]://[^\\x00]{{0,1993}}|[Hh][Tt][Tt][Pp][Ss]://[^\\x00]{{0,1992}}){SPACE}*$"
MAX_LEAD_MINUTES = 7 * 24 * 60  # notifications.upcoming hears of shifts at most 7 days ahead
PROVIDER = "roster"  # audit trail: Roster's own settings
TEST_EVENT_RATE = "5/minute"  # per organization (config.limits)


class EndpointError(Refusal):
    """A webhook endpoint rule refused the change (its URL, events, description, lead time, how many, test events)."""


class RateLimited(EndpointError):
    """Too many of something: try again after `retry_after` seconds (the message says when)."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, code="rate_limited")
        self.retry_after = retry_after


# --- endpoints ---------------------------------------------------------------------------------


def target(endpoint_id: int) -> str:
    """The notification target of an endpoint's deliveries (`endpoint_id` reads it back)."""
    return f"endpoint:{endpoint_id}"


def endpoint_id(target: str) -> int:
    found = target.removeprefix("endpoint:")
    return int(found) if found.isdigit() else 0


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def clean_url(url) -> str:
    if not isinstance(url, str) or not url.strip():
        raise EndpointError("Enter the URL Roster should send events to.", field="url")
    url = url.strip()
    if len(url) > 2000:
        raise EndpointError("The URL is too long (2000 characters at most).", field="url")
    if not re.match(r"[Hh][Tt][Tt][Pp][Ss]?://", url):
        raise EndpointError("The URL must start with https://.", field="url")
    try:
        return safe_http.check_url(url)
    except safe_http.UnsafeUrl as unsafe:
        raise EndpointError(unsafe.reason, code="unsafe_url", field="url", status=409) from unsafe


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
    minutes = whole(minutes)
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
        raise EndpointError(
            f"An organization has at most {MAX_ENDPOINTS} webhook endpoints.", code="limit_reached", status=409
        )
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
    summary = f"Added webhook endpoint {url} (secret ending in {endpoint.secret_last4}) for {', '.join(events)}"
    _audit(endpoint, "create", summary, actor)
    return endpoint, secret


def _audit(endpoint: Endpoint, what: str, summary: str, actor: Actor | None = None) -> None:
    action = f"webhook_endpoint_{what}"
    audit_record(organization=endpoint.organization, provider=PROVIDER, action=action, summary=summary, actor=actor)


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
    _audit(
        endpoint, "update", f"Changed webhook endpoint {endpoint.url}: {', '.join(sorted(changes)) or 'nothing'}", actor
    )
    if endpoint.enabled:
        transaction.on_commit(lambda: _queue_next(endpoint.pk))
    return endpoint


def _queue_next(endpoint_id: int) -> None:
    following = engine.next_due(channel=CHANNEL, target=target(endpoint_id), now=timezone.now())
    if following is not None:
        tasks.enqueue_deliveries([following])


def endpoint_delete(*, endpoint: Endpoint, actor: Actor | None = None) -> None:
    _audit(
        endpoint, "delete", f"Deleted webhook endpoint {endpoint.url} (secret ending in {endpoint.secret_last4})", actor
    )
    deliveries(endpoint).delete()
    endpoint.delete()


# --- events → rows of the webhook channel ------------------------------------------------------


def subscribed(organization_id: int, event_type: str) -> list[Endpoint]:
    """The organization's enabled endpoints that want `event_type`."""
    found = Endpoint.objects.filter(organization_id=organization_id, enabled=True)
    return [e for e in found if event_type in e.events]


def deliveries(endpoint: Endpoint):
    """The endpoint's delivery log: its notifications, newest first."""
    return Notification.objects.filter(channel=CHANNEL, target=target(endpoint.pk))


def events_create(
    *, organization_id: int, endpoints: Iterable[Endpoint], event_id: str, event_type: str, data: dict, at=None
) -> list[int]:
    """One row per endpoint for an event of no rotation (none made twice: the source is the event
    id), queued once committed. Returns the ids of this event's rows still waiting."""
    planned = [
        registry.Planned(CHANNEL, target(e.pk), f"webhook.{event_type}", {"eventId": event_id, "data": data})
        for e in endpoints
    ]
    ids = engine.notifications_create(
        rotation=None,
        organization_id=organization_id,
        source=f"event:{event_id}",
        source_at=at or timezone.now(),
        planned=planned,
    )
    transaction.on_commit(lambda: tasks.enqueue_deliveries(ids))
    return ids


def endpoint_send_test(*, endpoint: Endpoint, actor: Actor | None = None) -> Notification:
    """A `webhook.test` event for this endpoint alone, delivered like any other (its log shows it);
    RateLimited after TEST_EVENT_RATE of the organization's test events; refused while it is disabled."""
    if not endpoint.enabled:
        raise EndpointError(
            "The endpoint is disabled, so nothing is sent to it: enable it first, then send a test event.",
            code="endpoint_disabled",
            status=409,
        )
    refused = limits.hit(TEST_EVENT_RATE, "outgoing-test-event", str(endpoint.organization_id))
    if refused:
        raise RateLimited(f"Too many test events: try again in {refused.wait_words()}.", refused.retry_after)
    event_id = f"evt_test_{secrets.token_hex(8)}"
    data = {"message": "A test event from Roster.", "endpointId": endpoint.pk, "sentBy": actor.label if actor else None}
    ids = events_create(
        organization_id=endpoint.organization_id,
        endpoints=[endpoint],
        event_id=event_id,
        event_type="webhook.test",
        data=data,
    )
    return Notification.objects.get(pk=ids[0])


def endpoint_health(endpoint: Endpoint, *, ok: bool, now: dt.datetime) -> None:
    """After each attempt: a success clears the failure clock; 24 h of failures disable the endpoint."""
    if ok:
        Endpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
        return
    Endpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
    since = Endpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
    if since is not None and now - since >= DISABLE_AFTER:
        endpoint_disable_failing(endpoint_id=endpoint.pk, since=since)


def delivery_resend(*, delivery_id: int, actor: Actor | None) -> None:
    """Put one delivery back in line now (Resend), whatever became of it; a disabled endpoint gets it
    once enabled. Refused (409 `sending`) while it is being sent."""
    if not tasks.resend([delivery_id], actor=actor):
        raise EndpointError("That delivery is being sent right now; try again in a moment.", code="sending", status=409)


def endpoint_disable_failing(*, endpoint_id: int, since: dt.datetime) -> bool:
    reason = f"Disabled by Roster: every delivery failed since {since:%Y-%m-%d %H:%M} UTC (24 hours)."
    if not Endpoint.objects.filter(pk=endpoint_id, enabled=True).update(enabled=False, disabled_reason=reason):
        return False
    endpoint = Endpoint.objects.select_related("organization").get(pk=endpoint_id)
    _audit(endpoint, "disabled", f"Disabled webhook endpoint {endpoint.url}: failing for 24 hours")
    admins = Membership.objects.filter(
        organization=endpoint.organization, role=Membership.Role.ADMIN, user__is_active=True
    )
    emails = list(admins.values_list("user__email", flat=True))
    link = public_url("outgoing:endpoint", endpoint.pk)

    def tell_admins() -> None:  # once committed: the last error is the attempt's that disabled it
        last_error = deliveries(endpoint).order_by("-claimed_at").values_list("last_error", flat=True).first()
        body = (
            f"Every delivery to {endpoint.url} has failed since {since:%Y-%m-%d %H:%M} UTC, so Roster "
            f"stopped sending to it. Events since then are kept.\n\nLast error: {last_error or 'unknown'}\n\n"
            f"Fix the endpoint, then enable it again (its waiting events are sent then): {link}\n\n"
            f"You get this email because you are an admin of {endpoint.organization.name} in Roster.\n"
        )
        subject = f"Roster disabled the webhook endpoint {endpoint.url}"
        get_connection(fail_silently=True).send_messages(
            [mail.email(subject=subject, body=body, to=to) for to in emails]
        )

    transaction.on_commit(tell_admins)
    return True
