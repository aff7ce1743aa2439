"""Django admin for support staff: outgoing webhook endpoints and their deliveries, read-only.

The signing secret is never shown (only its last 4 characters): the endpoint's `secret` field is
in no list, form or search. Changes go through the same services as Settings → Webhooks, so they
are audited: enable/disable an endpoint, resend a delivery.
"""

import json

from django.contrib import admin
from django.utils.html import format_html

from accounts.actor import Actor

from . import services
from .models import EVENT_TYPES, Delivery, Endpoint


class DeliveryInline(admin.TabularInline):
    """An endpoint's latest deliveries (the deliveries list has them all, with Resend)."""

    model = Delivery
    extra = 0
    max_num = 0
    can_delete = False
    readonly_fields = fields = ("created_at", "event_type", "event_id", "status", "attempts", "response_code", "error")
    ordering = ["-created_at", "-id"]
    show_change_link = True


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "organization",
        "enabled",
        "subscribed_events",
        "secret_ending",
        "failing_since",
        "created_at",
    ]
    list_filter = ["enabled", "organization"]
    search_fields = ["url", "description", "organization__name", "organization__slug", "secret_last4"]
    list_select_related = ["organization"]
    # Never "secret": only its last 4 characters.
    readonly_fields = [
        "organization",
        "url",
        "description",
        "subscribed_events",
        "upcoming_lead_minutes",
        "secret_ending",
        "enabled",
        "disabled_reason",
        "failing_since",
        "busy_since",
        "created_by",
        "created_at",
    ]
    fields = tuple(readonly_fields)
    inlines = [DeliveryInline]
    actions = ["enable", "disable"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting is the organization admin's decision (Settings → Webhooks, audited).
        return False

    @admin.display(description="Events")
    def subscribed_events(self, obj: Endpoint) -> str:
        return ", ".join(obj.events or [])

    @admin.display(description="Signing secret")
    def secret_ending(self, obj: Endpoint) -> str:
        return f"…{obj.secret_last4}"

    def _set_enabled(self, request, queryset, enabled: bool) -> int:
        changed = 0
        for endpoint in queryset.filter(enabled=not enabled).select_related("organization"):
            services.endpoint_update(endpoint=endpoint, changes={"enabled": enabled}, actor=Actor.of_request(request))
            changed += 1
        return changed

    @admin.action(
        description="Enable the selected endpoints (their waiting deliveries are sent)", permissions=["change"]
    )
    def enable(self, request, queryset):
        self.message_user(request, f"{self._set_enabled(request, queryset, True)} endpoint(s) enabled.")

    @admin.action(description="Disable the selected endpoints (nothing is sent to them)", permissions=["change"])
    def disable(self, request, queryset):
        self.message_user(request, f"{self._set_enabled(request, queryset, False)} endpoint(s) disabled.")


class EventTypeFilter(admin.SimpleListFilter):
    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return [(key, key) for key in [*EVENT_TYPES, "webhook.test"]]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "organization",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "latency_ms",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", EventTypeFilter, ("endpoint__organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["event_id", "endpoint__url", "endpoint__organization__name", "endpoint__organization__slug"]
    list_select_related = ["endpoint__organization"]
    readonly_fields = [
        "organization",
        "endpoint",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "queued_at",
        "response_code",
        "latency_ms",
        "error",
        "created_at",
        "delivered_at",
        "body",
        "answer",
    ]
    fields = tuple(readonly_fields)
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Organization", ordering="endpoint__organization__name")
    def organization(self, obj: Delivery):
        return obj.endpoint.organization

    @admin.display(description="Error")
    def short_error(self, obj: Delivery) -> str:
        return obj.error if len(obj.error) <= 60 else obj.error[:59] + "…"

    @admin.display(description="Body (as sent, unsigned)")
    def body(self, obj: Delivery):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.display(description="Answer's body (its first 64 KiB at most)")
    def answer(self, obj: Delivery):
        return format_html("<pre>{}</pre>", obj.response_body) if obj.response_body else "—"

    @admin.action(
        description="Resend the selected deliveries now (as Resend on the endpoint's page)", permissions=["change"]
    )
    def resend(self, request, queryset):
        actor = Actor.of_request(request)
        resent = sum(
            services.delivery_resend(delivery=delivery, actor=actor)
            for delivery in queryset.select_related("endpoint__organization")
        )
        self.message_user(request, f"{resent} delivery(ies) queued to be sent again.")
