"""Webhook settings: the endpoint, signing secrets, and held deliveries. Plain functions the views,
API and tests call. Secrets are never logged or returned: only their last 4 characters."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from accounts.actor import Actor
from accounts.audit import audit_record
from integrations.pagerduty import client as pd
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for

from . import processing, signature
from .models import Delivery, WebhookEndpoint, WebhookSecret
from .queueing import queue_deliveries
from .selectors import active_secrets

PROVIDER = "pagerduty"
MIN_SECRET_LENGTH = 8


class InvalidSecret(ValueError):
    pass


def endpoint_for(organization) -> WebhookEndpoint:
    """The organization's endpoint, created the first time it is needed."""
    endpoint, _ = WebhookEndpoint.objects.get_or_create(organization=organization)
    return endpoint


def webhook_url(endpoint: WebhookEndpoint) -> str:
    return settings.PUBLIC_BASE_URL + reverse("webhooks:receive", args=[endpoint.public_id])


def _secret_text(secret) -> str:
    if (
        not isinstance(secret, str)
        or len(secret.strip()) < MIN_SECRET_LENGTH
        or any(c.isspace() for c in secret.strip())
    ):
        raise InvalidSecret(
            "Paste the signing secret PagerDuty showed when the webhook subscription was created "
            f"(at least {MIN_SECRET_LENGTH} characters, no spaces)."
        )
    return secret.strip()


def webhook_secret_add(
    *, organization, secret: str, label: str = "", actor: Actor | None = None, subscription_id: str = ""
) -> tuple[WebhookSecret, dict]:
    """Save a signing secret, then settle held deliveries: those it (or another secret) verifies
    are processed, the rest discarded. Returns the secret and {"released": n, "discarded": n}."""
    secret = _secret_text(secret)
    label = (label or "").strip()[:100]
    with transaction.atomic():
        # The receiver holds unsigned deliveries under this lock: none is held between the
        # settling below and the commit, where it would wait for a secret that already exists.
        list(WebhookEndpoint.objects.select_for_update().filter(organization=organization).values_list("pk"))
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


def webhook_secret_remove(*, organization, secret_id: int, actor: Actor | None = None) -> bool:
    with transaction.atomic():
        row = WebhookSecret.objects.select_for_update().filter(organization=organization, pk=secret_id).first()
        if row is None:
            return False
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
    return True


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


class SubscriptionError(Exception):
    def __init__(self, message: str, *, show_manual_steps: bool = False):
        super().__init__(message)
        self.message = message
        self.show_manual_steps = show_manual_steps


def webhook_subscription_create(*, organization, actor: Actor | None = None) -> WebhookSecret:
    """Create an account-wide V3 subscription to our URL in PagerDuty and store its secret."""
    connection = get_connection(organization)
    if connection is None:
        raise SubscriptionError("Connect PagerDuty first, or create the subscription by hand.", show_manual_steps=True)
    url = webhook_url(endpoint_for(organization))
    try:
        subscription = client_for(connection).create_webhook_subscription(
            url=url, events=processing.SUBSCRIBED_EVENTS, description=f"Roster ({organization.name})"
        )
    except pd.Forbidden as error:
        raise SubscriptionError(
            "PagerDuty refused to create the subscription: the connection is read-only or lacks the "
            "webhook_subscriptions.write scope. Create it by hand instead:",
            show_manual_steps=True,
        ) from error
    except pd.PagerDutyError as error:
        raise SubscriptionError(f"PagerDuty could not create the subscription: {error.message}") from error
    method = subscription.get("delivery_method") or {}
    secret = method.get("secret")
    if not secret:
        raise SubscriptionError(
            "PagerDuty created the subscription but sent no signing secret. Delete it in PagerDuty and "
            "create it by hand:",
            show_manual_steps=True,
        )
    row, _ = webhook_secret_add(
        organization=organization,
        secret=secret,
        label=f"PagerDuty subscription {subscription.get('id', '')}".strip(),
        actor=actor,
        subscription_id=str(subscription.get("id") or "")[:40],
    )
    return row
