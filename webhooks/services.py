"""Webhook settings: the endpoint, signing secrets, and held deliveries. Plain functions the views,
API and tests call. Secrets are never logged or returned: only their last 4 characters."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from accounts.refusal import Refusal
from accounts.services import InputRefused
from accounts.text import line_break_problem
from config.links import public_url
from integrations.pagerduty import client as pd
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for, connection_record_write_access

from . import processing, signature
from .models import Delivery, WebhookEndpoint, WebhookSecret
from .queueing import queue_deliveries
from .selectors import active_secrets

log = logging.getLogger(__name__)

PROVIDER = "pagerduty"
MIN_SECRET_LENGTH = 8
MAX_SECRET_LENGTH = 500
LABEL_MAX = 100


class InvalidSecret(InputRefused):
    code = "invalid_secret"


def endpoint_for(organization) -> WebhookEndpoint:
    """The organization's endpoint, created the first time it is needed."""
    endpoint, _ = WebhookEndpoint.objects.get_or_create(organization=organization)
    return endpoint


def webhook_url(endpoint: WebhookEndpoint) -> str:
    return public_url("webhooks:receive", endpoint.public_id)


def webhook_secret_check(secret) -> str:
    """The rule for a signing secret (the API's schema checks it too): the cleaned secret, or InvalidSecret."""
    cleaned = secret.strip() if isinstance(secret, str) else ""
    if not MIN_SECRET_LENGTH <= len(cleaned) <= MAX_SECRET_LENGTH or any(c.isspace() for c in cleaned):
        raise InvalidSecret(
            "Paste the signing secret PagerDuty showed when the webhook subscription was created "
            f"({MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters, no spaces).",
            field="secret",
        )
    return cleaned


def webhook_secret_add(
    *, organization, secret: str, label: str = "", actor: Actor | None = None, subscription_id: str = ""
) -> tuple[WebhookSecret, dict]:
    """Save a signing secret, then settle held deliveries: those it (or another secret) verifies
    are processed, the rest discarded. Returns the secret and {"released": n, "discarded": n}."""
    secret = webhook_secret_check(secret)
    label = (label or "").strip()
    if len(label) > LABEL_MAX:
        raise InputRefused(f"A label can be at most {LABEL_MAX} characters.", field="label")
    if problem := line_break_problem(label, what="A label"):
        raise InputRefused(problem, field="label")
    with transaction.atomic():
        # The receiver holds unsigned deliveries under this lock: none is held between the
        # settling below and the commit, where it would wait for a secret that already exists.
        list(WebhookEndpoint.objects.select_for_update().filter(organization=organization).values_list("pk"))
        if secret in active_secrets(organization):
            raise InputRefused(
                f"A signing secret ending in {secret[-4:]} is already saved with this value: nothing was added.",
                "secret_already_saved",
                field="secret",
                status=409,
            )
        row = WebhookSecret.objects.create(
            organization=organization,
            secret=secret,
            label=label,
            last4=secret[-4:],
            subscription_id=subscription_id,
            created_by=actor.user if actor else None,
        )
        settled = settle_held_deliveries(organization)
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="webhook_secret_add",
            actor=actor,
            summary=f"Added a webhook signing secret ending in {row.last4}"
            + (f" ({label})" if label else "")
            + (f"; {settled['released']} held deliveries verified" if settled["released"] else "")
            + (f", {settled['discarded']} discarded" if settled["discarded"] else ""),
            detail={"secret_last4": row.last4, "label": label, **settled},
        )
    return row, settled


@dataclass(frozen=True)
class RemovedSecret:
    last4: str
    remaining: int  # secrets left: none means new deliveries are held until one is saved


def webhook_secret_remove(*, organization, secret_id: int, actor: Actor | None = None) -> RemovedSecret | None:
    """Remove a signing secret. None when it was already gone."""
    with transaction.atomic():
        row = WebhookSecret.objects.select_for_update().filter(organization=organization, pk=secret_id).first()
        if row is None:
            return None
        last4, label = row.last4, row.label
        row.delete()
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="webhook_secret_remove",
            actor=actor,
            summary=f"Removed the webhook signing secret ending in {last4}" + (f" ({label})" if label else ""),
            detail={"secret_last4": last4, "label": label},
        )
        remaining = WebhookSecret.objects.filter(organization=organization).count()
    return RemovedSecret(last4=last4, remaining=remaining)


def settle_held_deliveries(organization) -> dict:
    """Verify held deliveries against the current secrets (call inside a transaction)."""
    secrets = active_secrets(organization)
    released: list[int] = []
    discarded = 0
    held = Delivery.objects.select_for_update().filter(organization=organization, status=Delivery.Status.HELD)
    for delivery in held.order_by("received_at", "id"):
        body = bytes(delivery.raw_body)
        if not signature.verify(body, delivery.headers.get("X-PagerDuty-Signature"), secrets):
            delivery.status = Delivery.Status.REJECTED
            delivery.error = "Held until a secret was saved; its signature matched none, so it was discarded."
            delivery.raw_body = b""
            delivery.save(update_fields=["status", "error", "raw_body"])
            discarded += 1
            continue
        duplicate = Delivery.objects.filter(organization=organization, verified=True).filter(
            _same_delivery(delivery.webhook_id, delivery.event_id)
        )
        delivery.verified = not duplicate.exists()
        if delivery.verified:
            delivery.status = Delivery.Status.RECEIVED
            delivery.save(update_fields=["status", "verified"])
            released.append(delivery.pk)
        else:
            delivery.status = Delivery.Status.SKIPPED
            delivery.error = "A redelivery of an event already received."
            delivery.save(update_fields=["status", "error"])
    if released:
        transaction.on_commit(lambda: queue_deliveries(released))
    return {"released": len(released), "discarded": discarded}


def _same_delivery(webhook_id: str, event_id: str) -> Q:
    query = Q(pk__in=[])
    if webhook_id:
        query |= Q(webhook_id=webhook_id)
    if event_id:
        query |= Q(event_id=event_id)
    return query


# --- "Create the subscription for me" --------------------------------------------------------

MANUAL_STEPS = [
    "In PagerDuty, open Integrations → Generic Webhooks (v3) and click New Webhook.",
    "Paste the webhook URL shown here; choose the scope Account.",
    "Subscribe to the events listed here, then click Add Webhook.",
    "Copy the signing secret PagerDuty shows once, and paste it into “Add signing secret” here.",
]


class SubscriptionError(Refusal):
    """`status` 409 for Roster's or PagerDuty's state, 503 (with `retry_after` seconds) when PagerDuty is down."""

    status = 409

    def __init__(
        self,
        message: str,
        code: str,
        *,
        status: int | None = None,
        show_manual_steps: bool = False,
        retry_after: int | None = None,
    ):
        super().__init__(message, code, status=status)
        self.show_manual_steps = show_manual_steps
        self.retry_after = retry_after


def _pagerduty_failed(message: str, error: pd.PagerDutyError) -> SubscriptionError:
    if isinstance(error, pd.RateLimited | pd.Unavailable):
        wait = math.ceil(error.retry_after or 60)
        return SubscriptionError(message + error.message, "pagerduty_unavailable", status=503, retry_after=wait)
    return SubscriptionError(message + error.message, error.code)


@dataclass(frozen=True)
class SubscriptionResult:
    """What "Create the subscription for me" (or Recreate) did, for the page's message."""

    subscription_id: str
    created: bool  # False: a subscription to this URL already existed and was only recorded
    secret_last4: str = ""
    deleted: tuple[str, ...] = ()  # replaced subscriptions deleted in PagerDuty (Recreate)
    not_deleted: tuple[str, ...] = ()  # replaced subscriptions PagerDuty did not delete
    events: SubscriptionEvents | None = None  # a found one: what bringing its events up to date did


# A claim older than this is from a request that died: another click may take over.
SUBSCRIPTION_CLAIM_TTL = timedelta(minutes=2)


def webhook_subscription_create(
    *, organization, actor: Actor | None = None, recreate: bool = False
) -> SubscriptionResult:
    """Create an account-wide V3 subscription to our URL in PagerDuty and store its secret, once.

    A subscription Roster created or found is recorded on the endpoint; another click then creates
    nothing (Recreate replaces it: a new subscription, then the old ones deleted). Concurrent clicks
    create one: the endpoint row is claimed by a conditional update (committed, so no row lock is held
    while PagerDuty answers), then PagerDuty is asked for subscriptions to this URL, then one is
    created, then recorded. A 403 records that the connection cannot write."""
    connection = get_connection(organization)
    if connection is None:
        raise SubscriptionError(
            "Connect PagerDuty first, or create the subscription by hand.", "not_connected", show_manual_steps=True
        )
    endpoint = endpoint_for(organization)
    if endpoint.subscription_id and not recreate:
        raise SubscriptionError(
            f"Subscription {endpoint.subscription_id} already delivers to this URL, so Roster created none. "
            "Click Recreate to replace it with a new one.",
            "subscription_exists",
        )
    now = timezone.now()
    claimed = (
        WebhookEndpoint.objects.filter(pk=endpoint.pk, subscription_id=endpoint.subscription_id)
        .filter(Q(subscription_claimed_at=None) | Q(subscription_claimed_at__lt=now - SUBSCRIPTION_CLAIM_TTL))
        .update(subscription_claimed_at=now)
    )
    if not claimed:
        raise SubscriptionError(
            "Another request is creating the subscription right now, so Roster created no second one. "
            "Reload the page in a moment to see it.",
            "subscription_in_progress",
        )
    try:
        return _subscription_create_claimed(connection, endpoint, actor=actor, recreate=recreate)
    finally:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, subscription_claimed_at=now).update(subscription_claimed_at=None)


def _subscription_create_claimed(connection, endpoint: WebhookEndpoint, *, actor, recreate: bool) -> SubscriptionResult:
    organization = endpoint.organization
    url = webhook_url(endpoint)
    client = client_for(connection)
    try:
        existing: list[dict] | None = client.find_webhook_subscriptions(url)
    except pd.Forbidden:
        existing = None  # not allowed to list: the claim and the recorded id still prevent a duplicate
    except pd.PagerDutyError as error:
        raise _pagerduty_failed(
            "PagerDuty could not list its webhook subscriptions, so Roster created none (it would risk a duplicate): ",
            error,
        ) from error
    if existing and not recreate:
        found = str(existing[0].get("id") or "")[:40]
        _record_subscription(
            endpoint, found, actor=actor, summary=f"Found the webhook subscription {found} to this URL"
        )
        events = webhook_subscription_bring_up_to_date(endpoint=endpoint, actor=actor, client=client)
        return SubscriptionResult(subscription_id=found, created=False, events=events)
    try:
        subscription = client.create_webhook_subscription(
            url=url, events=processing.SUBSCRIBED_EVENTS, description=f"Roster ({organization.name})"
        )
    except pd.Forbidden as error:
        connection_record_write_access(connection, False)
        raise SubscriptionError(
            "PagerDuty refused to create the subscription: the connection is read-only or lacks the "
            "webhook_subscriptions.write scope, so Roster will not offer this again for it. Create it by hand instead:",
            "write_refused",
            show_manual_steps=True,
        ) from error
    except pd.PagerDutyError as error:
        raise _pagerduty_failed(
            "PagerDuty could not create the subscription, so nothing was created: ", error
        ) from error
    connection_record_write_access(connection, True)
    new_id = str(subscription.get("id") or "")[:40]
    secret = (subscription.get("delivery_method") or {}).get("secret")
    if not secret:
        _record_subscription(endpoint, new_id, actor=actor, summary=f"Created the webhook subscription {new_id}")
        raise SubscriptionError(
            f"PagerDuty created the subscription {new_id} but sent no signing secret, so its deliveries are held. "
            "Click Recreate, or delete it in PagerDuty and create it by hand:",
            "no_signing_secret",
            status=502,
            show_manual_steps=True,
        )
    row, _ = webhook_secret_add(
        organization=organization,
        secret=secret,
        label=f"PagerDuty subscription {new_id}".strip(),
        actor=actor,
        subscription_id=new_id,
    )
    replaced = {str(s.get("id") or "") for s in existing or []} | {endpoint.subscription_id}
    _record_subscription(endpoint, new_id, actor=actor, summary=f"Created the webhook subscription {new_id}")
    deleted, not_deleted = [], []
    for old in sorted(replaced - {new_id, ""}):
        try:
            client.delete_webhook_subscription(old)
        except pd.NotFound:
            pass  # already gone
        except pd.PagerDutyError:
            not_deleted.append(old)
            continue
        deleted.append(old)
        for stale in WebhookSecret.objects.filter(organization=organization, subscription_id=old):
            webhook_secret_remove(organization=organization, secret_id=stale.pk, actor=actor)
    return SubscriptionResult(
        subscription_id=new_id,
        created=True,
        secret_last4=row.last4,
        deleted=tuple(deleted),
        not_deleted=tuple(not_deleted),
    )


def _record_subscription(endpoint: WebhookEndpoint, subscription_id: str, *, actor, summary: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        subscription_id=subscription_id,
        subscription_found_at=timezone.now(),
        subscription_missing_events=[],
        subscription_inactive=False,
    )
    endpoint.subscription_id, endpoint.subscription_missing_events = subscription_id, []
    endpoint.subscription_inactive = False
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_subscription",
        actor=actor,
        summary=summary,
        detail={"subscription_id": subscription_id},
    )


# --- The recorded subscription sends every event Roster reads ------------------------------------


@dataclass(frozen=True)
class SubscriptionEvents:
    """What bringing the recorded subscription up to date did. `outcome`: "up_to_date" (it sends every
    event Roster reads), "added" (`added` were added), "refused" (PagerDuty refused to add `missing`),
    "gone" (deleted in PagerDuty: forgotten), "later" (PagerDuty could not answer now: the next run
    tries again), "unknown" (PagerDuty refused to show it, or no subscription or connection to ask).
    `turned_off`: PagerDuty said it is turned off (so it sends nothing)."""

    outcome: str
    added: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    turned_off: bool = False


def webhook_subscription_bring_up_to_date(
    *, endpoint: WebhookEndpoint, actor: Actor | None = None, client: pd.PagerDutyClient | None = None
) -> SubscriptionEvents:
    """Make the recorded subscription send every event of SUBSCRIBED_EVENTS: read it, and when it lacks
    some, PUT the events it sends followed by those it lacks (PagerDuty's own kept, in their order).
    The read also records whether it is turned off in PagerDuty (never turned back on here).
    A subscription deleted in PagerDuty is forgotten (the card offers Create again); a 403 records that
    the connection cannot write and keeps what is missing for the card; anything transient changes
    nothing. Each write is conditional on the same subscription still being recorded (a Recreate may
    have replaced it meanwhile). `client`: the caller's (beat passes a budgeted one)."""
    subscription_id = endpoint.subscription_id
    connection = get_connection(endpoint.organization)
    if not subscription_id or connection is None:
        return SubscriptionEvents("unknown")
    client = client or client_for(connection)
    missing: list[str] = []
    try:
        subscription = client.get_webhook_subscription(subscription_id)
        sends = [str(e) for e in subscription["events"]]
        missing = [e for e in processing.SUBSCRIBED_EVENTS if e not in sends]
        _record_active(endpoint, subscription_id, subscription.get("active"))
        if missing:
            client.update_webhook_subscription_events(subscription_id, sends + missing)
    except pd.NotFound:
        _forget_subscription(endpoint, subscription_id)
        return SubscriptionEvents("gone")
    except pd.Forbidden:
        if not missing:
            return SubscriptionEvents("unknown")  # not allowed to read it: what it sends is unknown
        connection_record_write_access(connection, False)
        _record_missing_events(endpoint, subscription_id, missing)
        return SubscriptionEvents("refused", missing=tuple(missing), turned_off=endpoint.subscription_inactive)
    except pd.PagerDutyError as error:
        log.info("Webhook subscription %s not checked now: %s", subscription_id, error.code)
        return SubscriptionEvents("unknown" if error.permanent else "later")
    _record_missing_events(endpoint, subscription_id, [])
    if not missing:
        return SubscriptionEvents("up_to_date", turned_off=endpoint.subscription_inactive)
    connection_record_write_access(connection, True)
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_subscription_events",
        actor=actor,
        summary=f"Added {len(missing)} event{'s' if len(missing) != 1 else ''} to the webhook subscription "
        f"{subscription_id}: {', '.join(missing)}",
        detail={"subscription_id": subscription_id, "added": missing},
    )
    return SubscriptionEvents("added", added=tuple(missing), turned_off=endpoint.subscription_inactive)


def _record_missing_events(endpoint: WebhookEndpoint, subscription_id: str, missing: list[str]) -> None:
    """What the recorded subscription does not send, for the card; written only while it is still the
    recorded one."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, subscription_id=subscription_id).update(
        subscription_missing_events=missing
    )
    endpoint.subscription_missing_events = missing


def _record_active(endpoint: WebhookEndpoint, subscription_id: str, active: object) -> None:
    """Whether PagerDuty says the recorded subscription is turned on, for the card: audited when it
    changes (once, however many daily reads see it off; as Roster's observation, whoever's click led to
    the read), left as it was when PagerDuty did not say. Roster never turns it back on: an admin may
    have turned it off on purpose (or PagerDuty did, after repeated delivery failures)."""
    if not isinstance(active, bool):
        return
    # Only a change is written (the flag still says the opposite), and only while it is the recorded one.
    changed = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, subscription_id=subscription_id, subscription_inactive=active
    ).update(subscription_inactive=not active)
    endpoint.subscription_inactive = not active
    if not changed:
        return
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_subscription_active",
        summary=f"The webhook subscription {subscription_id} is turned on again in PagerDuty"
        if active
        else f"The webhook subscription {subscription_id} is turned off in PagerDuty, so PagerDuty sends Roster nothing",
        detail={"subscription_id": subscription_id, "active": active},
    )


def _forget_subscription(endpoint: WebhookEndpoint, subscription_id: str) -> None:
    """The recorded subscription is gone in PagerDuty: forget it (unless a Recreate replaced it
    meanwhile), so the card offers Create again."""
    forgotten = WebhookEndpoint.objects.filter(pk=endpoint.pk, subscription_id=subscription_id).update(
        subscription_id="", subscription_found_at=None, subscription_missing_events=[], subscription_inactive=False
    )
    if not forgotten:
        return
    endpoint.subscription_id, endpoint.subscription_found_at, endpoint.subscription_missing_events = "", None, []
    endpoint.subscription_inactive = False
    audit_record(
        organization=endpoint.organization,
        provider=PROVIDER,
        action="webhook_subscription",
        summary=f"The webhook subscription {subscription_id} is gone in PagerDuty: Roster forgot it",
        detail={"subscription_id": subscription_id, "gone": True},
    )
