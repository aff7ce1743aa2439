"""Outgoing webhooks: an organization's endpoints. Each event for an endpoint is a notification of
the `webhook` channel (`notifications.Notification`, target "endpoint:<id>", see channel.py): its
delivery log, retries and Resend are the notifications engine's."""

from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedTextField

EVENT_TYPES = {
    "rotation.handoff": "Handoff: who is on call changed",
    "rotation.upcoming": "Upcoming shift: someone's shift starts within the lead time",
    "rotation.shift_changed": "Shift changed: someone's shifts in the next 7 days moved",
    "incident.updated": "Incident updated (from PagerDuty)",
    "cover_request.created": "Cover request created: someone asks for cover",
    "cover_request.taken": "Cover request taken: someone covers it",
    "cover_request.cancelled": "Cover request cancelled",
    "cover_request.expired": "Cover request expired: nobody took it before it ended",
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
    # One delivery at a time per endpoint: set by a conditional update when a worker takes one
    # (channel.WebhookChannel.take, a condition of the notification's claim).
    busy_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "outgoing webhook endpoint"
        verbose_name_plural = "outgoing webhook endpoints"
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url


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
