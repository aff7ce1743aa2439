"""Webhook deliveries from PagerDuty (V3) and the incidents they describe.

A `Delivery` is stored before anything else happens to it, so an accepted delivery is never
lost; processing turns it into an `Incident` and an `IncidentEvent` on that incident's timeline.
"""

import secrets

from django.db import models
from django.db.models import Q
from encrypted_model_fields.fields import EncryptedTextField


def new_endpoint_id() -> str:
    return secrets.token_urlsafe(24)


class WebhookEndpoint(models.Model):
    """The organization's receiving address: `/webhooks/pagerduty/<public_id>/`, unguessable."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoint"
    )
    public_id = models.CharField(max_length=64, unique=True, default=new_endpoint_id, editable=False)
    # "Send test notification" in PagerDuty (pagey.ping): when the last one arrived.
    last_ping_at = models.DateTimeField(null=True, blank=True)
    # Deliveries refused for a bad signature are not stored (anyone may post junk); the card
    # says when the last one came, which is what an admin needs to spot a wrong secret.
    last_rejected_at = models.DateTimeField(null=True, blank=True)
    last_rejected_reason = models.CharField(max_length=200, blank=True, default="")
    # The PagerDuty subscription Roster created (or found) for this URL: the card then offers
    # Recreate instead of creating a second one. `subscription_claimed_at` is set by a conditional
    # update while one admin's request talks to PagerDuty, so concurrent clicks create one.
    subscription_id = models.CharField(max_length=40, blank=True, default="")
    subscription_found_at = models.DateTimeField(null=True, blank=True)
    subscription_claimed_at = models.DateTimeField(null=True, blank=True)
    # Events Roster reads that the recorded subscription does not send, and PagerDuty refused to add
    # (the card names them); empty once it sends them all (services.webhook_subscription_bring_up_to_date).
    subscription_missing_events = models.JSONField(default=list, blank=True)
    # PagerDuty's last answer said the recorded subscription is turned off ("active": false): it sends
    # nothing. Roster leaves it off (it may be on purpose) and the card says so.
    subscription_inactive = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "PagerDuty webhook endpoint"
        verbose_name_plural = "PagerDuty webhook endpoints"

    def __str__(self):
        return f"Webhook endpoint of {self.organization}"


class WebhookSecret(models.Model):
    """A signing secret PagerDuty shows once when a subscription is created. Several may be
    active at once (rotation, or one per subscription)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="webhook_secrets")
    secret = EncryptedTextField()
    label = models.CharField(max_length=100, blank=True, default="")
    last4 = models.CharField(max_length=4)
    subscription_id = models.CharField(max_length=40, blank=True, default="")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook signing secret"
        verbose_name_plural = "webhook signing secrets"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.label or 'Webhook secret'} ending in {self.last4}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received, waiting to be processed"
        HELD = "held", "Held until a signing secret is saved"
        PROCESSED = "processed", "Processed"
        SKIPPED = "skipped", "Stored, not used by Roster"
        REJECTED = "rejected", "Discarded: signature did not match"
        FAILED = "failed", "Processing failed"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    raw_body = models.BinaryField()
    headers = models.JSONField(default=dict, blank=True)
    # True once the signature matched a secret. Only verified deliveries count for deduplication,
    # so an unsigned body held before any secret exists can never shadow a genuine one.
    verified = models.BooleanField(default=False)
    webhook_id = models.CharField(max_length=100, blank=True, default="")
    event_id = models.CharField(max_length=100, blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")
    incident_ref = models.CharField(max_length=40, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when queuing failed (broker down): the sweeper re-queues these within seconds, and
    # anything else left unprocessed only once it is clearly stale (so a backlog is not doubled).
    enqueue_failed = models.BooleanField(default=False)
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "webhook_id"],
                condition=Q(verified=True) & ~Q(webhook_id=""),
                name="webhooks_delivery_unique_webhook_id",
            ),
            models.UniqueConstraint(
                fields=["organization", "event_id"],
                condition=Q(verified=True) & ~Q(event_id=""),
                name="webhooks_delivery_unique_event_id",
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="webhooks_delivery_status_idx")]

    def __str__(self):
        return f"{self.event_type or 'delivery'} {self.event_id or self.webhook_id} ({self.status})"

    @property
    def body_text(self) -> str:
        return bytes(self.raw_body).decode("utf-8", "replace")


def field_value_text(value) -> str:
    """A custom field's value as a person reads it: "—" when unset, several joined by commas, yes/no."""
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(field_value_text(v) for v in value)
    return str(value)


class Incident(models.Model):
    """An incident as PagerDuty last described it. `state_as_of` is the `occurred_at` of the event
    the snapshot came from: an older event arriving late never moves it backwards."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="incidents")
    pagerduty_id = models.CharField(max_length=40)
    number = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=20, blank=True, default="")
    urgency = models.CharField(max_length=20, blank=True, default="")
    priority = models.CharField(max_length=100, blank=True, default="")
    service_id = models.CharField(max_length=40, blank=True, default="")
    service_name = models.CharField(max_length=255, blank=True, default="")
    escalation_policy_id = models.CharField(max_length=40, blank=True, default="")
    escalation_policy_name = models.CharField(max_length=255, blank=True, default="")
    assignees = models.JSONField(default=list, blank=True)  # [{"id", "summary"}]
    teams = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)  # [{"id", "name", "data_type", "value"}]
    html_url = models.URLField(max_length=500, blank=True, default="")
    incident_key = models.CharField(max_length=255, blank=True, default="")
    resolve_reason = models.CharField(max_length=500, blank=True, default="")
    pagerduty_created_at = models.DateTimeField(null=True, blank=True)
    # Known only by reference so far (a custom-field event came first).
    is_stub = models.BooleanField(default=True)
    state_as_of = models.DateTimeField(null=True, blank=True)
    custom_fields_as_of = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "incident"
        verbose_name_plural = "incidents"
        ordering = ["-pagerduty_created_at", "-first_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "pagerduty_id"], name="webhooks_incident_unique_per_org")
        ]

    def __str__(self):
        return f"#{self.number or '?'} {self.title or self.pagerduty_id}"

    @property
    def custom_fields_text(self) -> str:
        return "; ".join(f"{f.get('name')}: {field_value_text(f.get('value'))}" for f in self.custom_fields) or "—"


class IncidentEvent(models.Model):
    """One entry of an incident's timeline, from one delivery."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    agent = models.CharField(max_length=255, blank=True, default="")
    summary = models.CharField(max_length=500, blank=True, default="")
    # False when a newer event had already been applied (the event is kept on the timeline only).
    applied = models.BooleanField(default=True)

    class Meta:
        verbose_name = "incident event"
        verbose_name_plural = "incident events"
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "event_id"], name="webhooks_incidentevent_unique_event")
        ]

    def __str__(self):
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M:%S} UTC"
