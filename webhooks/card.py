"""The webhook section of the PagerDuty card (registered from WebhooksConfig.ready())."""

from django.conf import settings

from accounts.access import is_admin
from integrations.pagerduty.selectors import get_connection

from . import processing, selectors, services
from .forms import secret_form

LAST_DELIVERIES = 10


def may_offer_subscription(connection) -> bool:
    """Offer "Create the subscription for me" when the connection may write: known, or not tried yet."""
    return connection is not None and connection.capabilities.get("write", "unknown") in ("yes", "unknown")


def card_context(request, organization) -> dict:
    endpoint = services.endpoint_for(organization)
    admin = is_admin(request)
    last = selectors.last_deliveries(organization, verified_only=not admin, limit=LAST_DELIVERIES)
    connection = get_connection(organization) if admin else None
    return {
        "wh_endpoint": endpoint,
        "wh_url": services.webhook_url(endpoint) if admin else "",
        "wh_events": processing.SUBSCRIBED_EVENTS,
        "wh_secrets": selectors.secrets_shown(organization),
        "wh_backlog": selectors.backlog(organization),
        "wh_max_held": settings.WEBHOOK_MAX_HELD,
        "wh_deliveries": last,
        "wh_last_deliveries": LAST_DELIVERIES,
        # A held (or discarded) delivery names an incident Roster never stored: no link to a 404.
        "wh_known_incidents": selectors.known_incidents(organization, {d.incident_ref for d in last if d.incident_ref}),
        "wh_connected": connection is not None,
        "wh_write_refused": connection is not None and not may_offer_subscription(connection),
        "wh_can_create_subscription": admin and may_offer_subscription(connection),
        # What the recorded subscription does not send and PagerDuty refused to add (the daily check).
        "wh_missing_events": endpoint.subscription_missing_events if admin and endpoint.subscription_id else [],
        # PagerDuty said the recorded subscription is turned off: it sends Roster nothing (the daily check).
        "wh_subscription_off": admin and bool(endpoint.subscription_id) and endpoint.subscription_inactive,
        "wh_refusal_is_news": admin and selectors.refusal_is_news(endpoint, organization),
        "wh_manual_steps": services.MANUAL_STEPS,
        "wh_secret_form": getattr(request, "wh_secret_form", None) or secret_form(),
    }
