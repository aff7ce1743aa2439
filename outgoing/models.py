"""Outgoing webhooks: an organization's endpoints and the deliveries made to them.

A `Delivery` is one event for one endpoint (unique per (endpoint, event id): re-planning never
makes a second); it carries its own retry schedule (services.BACKOFF) and the result of its last try.
"""

from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedTextField

EVENT_TYPES = {
    "rotation.handoff": "Handoff: who is on call changed",
    "rotation.upcoming": "Upcoming shift: someone's shift starts within the lead time",
    "rotation.shift_changed": "Shift changed: someone's shifts in the next 7 days moved",
    "incident.updated": "Incident updated (from PagerDuty)",
}
DEFAULT_LEAD_MINUTES = 60


class Endpoint(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="outgoing_webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)  # event type keys (EVENT_TYPES)
    description = models.CharField(max_length=200, blank=True, default="")
    # rotation.upcoming: how long before a shift starts it is sent.
    upcoming_lead_minutes = models.PositiveIntegerField(default=DEFAULT_LEAD_MINUTES)
    secret = EncryptedTextField()  # "whsec_..." (Standard Webhooks); shown once, then its last 4
    secret_last4 = models.CharField(max_length=4)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    # Set at the first failure after a success; 24 h later of failures only, the endpoint is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    # One delivery at a time per endpoint: set by a conditional update when a worker takes one.
    busy_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "outgoing webhook endpoint"
        verbose_name_plural = "outgoing webhook endpoints"
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=100)  # also the webhook-id header: the same on every retry
    event_type = models.CharField(max_length=50)
    payload = models.JSONField()  # the body: {"type", "timestamp", "data"}
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # None once delivered or failed
    claimed_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # The start of the last answer's body: at most 64 KiB were read (safe_http.MAX_RESPONSE_BYTES).
    response_body = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")  # in plain words
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outgoing webhook delivery"
        verbose_name_plural = "outgoing webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="outgoing_delivery_unique_event"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_delivery_due")]

    def __str__(self):
        return f"{self.event_type} {self.event_id} to {self.endpoint_id}"


class IncidentEventRelay(models.Model):
    """This incident timeline entry was relayed as incident.updated (the sweep's scan skips it from
    then on). Made with the deliveries, in one transaction, also when no endpoint wanted it."""

    incident_event = models.OneToOneField(
        "webhooks.IncidentEvent", primary_key=True, on_delete=models.CASCADE, related_name="outgoing_relay"
    )
    deliveries = models.PositiveIntegerField(default=0)  # endpoints it was relayed to
    relayed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Relay of incident event {self.incident_event_id}"
