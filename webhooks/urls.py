from django.urls import path

from . import receiver

app_name = "webhooks"

urlpatterns = [
    path("webhooks/pagerduty/<str:endpoint_id>/", receiver.receive, name="receive"),
]
