"""Django admin for support staff: outgoing webhook endpoints, read-only, with their latest
deliveries (all of them, with Resend, are under Notifications, channel "webhook").

The signing secret is never shown (only its last 4 characters): the endpoint's `secret` field is
in no list, form or search. Changes go through the same services as Settings → Webhooks, so they
are audited: enable/disable an endpoint.
"""

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.utils.html import format_html, format_html_join

from accounts.actor import Actor
from accounts.admin import ReadOnlyAdmin

from . import selectors, services
from .models import Endpoint


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
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
        "latest_deliveries",
    ]
    fields = tuple(readonly_fields)
    actions = ["enable", "disable"]
    allow_change = True
    allow_delete = False  # the organization admin's decision (Settings → Webhooks, audited)

    @admin.display(description="Events")
    def subscribed_events(self, obj: Endpoint) -> str:
        return ", ".join(obj.events or [])

    @admin.display(description="Signing secret")
    def secret_ending(self, obj: Endpoint) -> str:
        return f"…{obj.secret_last4}"

    @admin.display(description="Latest deliveries")
    def latest_deliveries(self, obj: Endpoint):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    display_for_value(d.created_at, ""),
                    d.event_type,
                    d.event_id,
                    d.get_status_display(),
                    d.response_code or "",
                    d.error,
                )
                for d in selectors.deliveries(obj, limit=20)
            ),
        )
        return format_html("<table>{}</table>", rows) if rows else "None yet"

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
