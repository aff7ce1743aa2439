"""Django admin for support staff: deliveries with their result and a "reprocess" action,
incidents with their timelines. Never a secret: signing secrets show by their last 4 only."""

from django.contrib import admin, messages
from django.db import transaction

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline, register_organization_inline

from . import selectors
from .models import Delivery, Incident, IncidentEvent, WebhookEndpoint, WebhookSecret
from .queueing import queue_deliveries

ERROR_CHARS = 60
FINISHED = (Delivery.Status.PROCESSED, Delivery.Status.SKIPPED)


class WebhookEndpointInline(ReadOnlyInline, admin.StackedInline):
    model = WebhookEndpoint
    fields = readonly_fields = ("public_id", "last_ping_at", "last_rejected_at", "last_rejected_reason", "created_at")
    verbose_name = "PagerDuty webhook endpoint"


class WebhookSecretInline(ReadOnlyInline, admin.TabularInline):
    model = WebhookSecret
    fields = readonly_fields = ("label", "last4", "subscription_id", "created_by", "created_at")
    verbose_name_plural = "Webhook signing secrets (last 4 only)"


register_organization_inline(WebhookEndpointInline)
register_organization_inline(WebhookSecretInline)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "organization", "event_type", "incident_ref", "status", "short_error", "tries"]
    list_filter = ["status", ("organization", admin.RelatedOnlyFieldListFilter), "event_type", "verified"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "organization__slug", "event_id", "webhook_id", "incident_ref"]
    date_hierarchy = "received_at"
    actions = ["reprocess"]
    allow_change = True
    fields = readonly_fields = (
        "organization",
        "status",
        "error",
        "tries",
        "verified",
        "event_type",
        "event_id",
        "webhook_id",
        "incident_ref",
        "received_at",
        "processed_at",
        "headers",
        "body_text",
    )

    @admin.display(description="Error")
    def short_error(self, obj):
        """The list shows the error's start (the whole of it is on the delivery's page), so the
        columns fit a 1280 px screen."""
        return obj.error if len(obj.error) <= ERROR_CHARS else obj.error[: ERROR_CHARS - 1] + "…"

    @admin.display(description="Attempts")
    def tries(self, obj):
        """How many times processing ran: the failed runs (stored in `attempts`) and the run that
        finished it (processed, or stored as not used). A delivery processed at the first try shows 1;
        one waiting or held shows the failures so far (0 if none)."""
        return obj.attempts + (1 if obj.status in FINISHED else 0)

    @admin.display(description="Body")
    def body_text(self, obj):
        return obj.body_text

    @admin.action(description="Reprocess the selected deliveries", permissions=["change"])
    def reprocess(self, request, queryset):
        """Queue verified deliveries again. Processing is idempotent: events already on an
        incident's timeline are not applied twice; held or discarded ones are left alone."""
        with transaction.atomic():
            ids = list(queryset.filter(verified=True).exclude(status=Delivery.Status.HELD).values_list("id", flat=True))
            Delivery.objects.filter(id__in=ids).update(status=Delivery.Status.RECEIVED, error="", attempts=0)
            if ids:
                transaction.on_commit(lambda: queue_deliveries(ids))
        skipped = queryset.count() - len(ids)
        self.message_user(
            request,
            f"Queued {len(ids)} deliveries for processing."
            + (f" {skipped} held or unsigned ones were left alone." if skipped else ""),
            messages.SUCCESS,
        )


class IncidentEventInline(ReadOnlyInline, admin.TabularInline):
    model = IncidentEvent
    fields = readonly_fields = ("occurred_at", "event_type", "summary", "agent", "applied", "event_id", "delivery")
    ordering = ["occurred_at", "id"]
    verbose_name_plural = "Timeline"


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = [
        "pagerduty_id",
        "number",
        "title",
        "status",
        "urgency",
        "service_name",
        "organization",
        "state_as_of",
    ]
    list_filter = ["status", "urgency", "is_stub"]
    ordering = selectors.NEWEST_FIRST
    search_fields = ["pagerduty_id", "title", "organization__name", "service_name", "incident_key"]
    inlines = [IncidentEventInline]
    readonly_fields = [f.name for f in Incident._meta.fields]
    allow_change = True
