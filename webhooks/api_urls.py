from django.urls import path

from . import api

urlpatterns = [
    path("integrations/pagerduty/webhook-url", api.webhook_url, name="webhook_url_api"),
    path("integrations/pagerduty/webhook-secrets", api.webhook_secrets, name="webhook_secrets_api"),
    path("integrations/pagerduty/webhook-secrets/<int:secret_id>", api.webhook_secret, name="webhook_secret_api"),
    path("incidents/", api.incidents, name="incidents_api"),
    path("incidents/<path:pagerduty_id>/", api.incident, name="incident_api"),
]
