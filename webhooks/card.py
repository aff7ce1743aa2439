"""The webhook section of the PagerDuty card (registered from WebhooksConfig.ready())."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.access import is_admin
from integrations.pagerduty.selectors import get_connection

from . import processing, selectors, services
from .forms import secret_form
from .models import Delivery, Incident, WebhookEndpoint, WebhookSecret

LAST_DELIVERIES = 10
# A refused delivery older than this, or followed by a verified one or a new secret, is history.
REFUSAL_NEWS_FOR = timedelta(hours=24)


def refusal_is_news(endpoint: WebhookEndpoint, organization) -> bool:
    """Should "Last refused" alarm the admin? Only while nothing has worked since the refusal."""
    at = endpoint.last_rejected_at
    if at is None or timezone.now() - at > REFUSAL_NEWS_FOR:
        return False
    verified_since = Delivery.objects.filter(organization=organization, verified=True, received_at__gt=at).exists()
    return (
        not verified_since and not WebhookSecret.objects.filter(organization=organization, created_at__gt=at).exists()
    )


def may_offer_subscription(connection) -> bool:
    """Offer "Create the subscription for me" when the connection may write: known, or not tried yet."""
    return connection is not None and connection.capabilities.get("write", "unknown") in ("yes", "unknown")


def card_context(request, organization) -> dict:
    endpoint = services.endpoint_for(organization)
    admin = is_admin(request)
    deliveries = Delivery.objects.filter(organization=organization)
    if not admin:  # unsigned deliveries (held, or discarded unverified) are anyone's words: admins only
        deliveries = deliveries.filter(verified=True)
    last = list(deliveries.defer("raw_body", "headers")[:LAST_DELIVERIES])
    refs = {d.incident_ref for d in last if d.incident_ref}
    connection = get_connection(organization) if admin else None
    return {
        "wh_endpoint": endpoint,
        "wh_url": services.webhook_url(endpoint) if admin else "",
        "wh_events": processing.SUBSCRIBED_EVENTS,
        "wh_secrets": list(
            WebhookSecret.objects.filter(organization=organization).only("id", "label", "last4", "created_at")
        ),
        "wh_backlog": selectors.backlog(organization),
        "wh_max_held": settings.WEBHOOK_MAX_HELD,
        "wh_deliveries": last,
        # A held (or discarded) delivery names an incident Roster never stored: no link to a 404.
        "wh_known_incidents": set(
            Incident.objects.filter(organization=organization, pagerduty_id__in=refs).values_list(
                "pagerduty_id", flat=True
            )
        )
        if refs
        else set(),
        "wh_connected": connection is not None,
        "wh_write_refused": connection is not None and not may_offer_subscription(connection),
        "wh_can_create_subscription": admin and may_offer_subscription(connection),
        "wh_refusal_is_news": admin and refusal_is_news(endpoint, organization),
        "wh_manual_steps": services.MANUAL_STEPS,
        "wh_secret_form": getattr(request, "wh_secret_form", None) or secret_form(),
    }
