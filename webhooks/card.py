"""The webhook section of the PagerDuty card (registered from WebhooksConfig.ready())."""

from django.conf import settings

from accounts.access import is_admin
from integrations.pagerduty.selectors import get_connection

from . import processing, selectors, services
from .forms import secret_form
from .models import Delivery, WebhookSecret

LAST_DELIVERIES = 10


def card_context(request, organization) -> dict:
    endpoint = services.endpoint_for(organization)
    admin = is_admin(request)
    deliveries = Delivery.objects.filter(organization=organization)
    if not admin:  # unsigned deliveries (held, or discarded unverified) are anyone's words: admins only
        deliveries = deliveries.filter(verified=True)
    deliveries = deliveries.defer("raw_body", "headers")[:LAST_DELIVERIES]
    return {
        "wh_endpoint": endpoint,
        "wh_url": services.webhook_url(endpoint) if admin else "",
        "wh_events": processing.SUBSCRIBED_EVENTS,
        "wh_secrets": list(
            WebhookSecret.objects.filter(organization=organization).only("id", "label", "last4", "created_at")
        ),
        "wh_backlog": selectors.backlog(organization),
        "wh_max_held": settings.WEBHOOK_MAX_HELD,
        "wh_deliveries": deliveries,
        "wh_can_create_subscription": admin and get_connection(organization) is not None,
        "wh_manual_steps": services.MANUAL_STEPS,
        "wh_secret_form": getattr(request, "wh_secret_form", None) or secret_form(),
    }
