from django.urls import path

from . import api

urlpatterns = [
    path("webhook-endpoints", api.endpoints, name="api_webhook_endpoints"),
    path("webhook-endpoints/<int:endpoint_id>", api.endpoint, name="api_webhook_endpoint"),
    path("webhook-endpoints/<int:endpoint_id>/test", api.endpoint_test, name="api_webhook_endpoint_test"),
    path(
        "webhook-endpoints/<int:endpoint_id>/deliveries",
        api.endpoint_deliveries,
        name="api_webhook_endpoint_deliveries",
    ),
]
