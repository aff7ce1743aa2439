from django.urls import include, path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("pagerduty/", include("integrations.pagerduty.urls")),
    path("slack/", include("integrations.slack.urls")),
]
