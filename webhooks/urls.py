from django.urls import path

from . import receiver, views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/pagerduty/<str:endpoint_id>/", receiver.receive, name="receive"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<path:pagerduty_id>/", views.incident, name="incident"),
    path("settings/integrations/pagerduty/webhook-secrets/", views.secret_add, name="secret_add"),
    path(
        "settings/integrations/pagerduty/webhook-secrets/<int:secret_id>/remove/",
        views.secret_remove,
        name="secret_remove",
    ),
    path(
        "settings/integrations/pagerduty/webhook-subscription/", views.create_subscription, name="create_subscription"
    ),
]
