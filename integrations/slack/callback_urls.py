"""Slack's OAuth redirect back, at {PUBLIC_BASE_URL}/integrations/slack/callback (registered in the Slack app)."""

from django.urls import path

from . import views

urlpatterns = [path("callback", views.callback, name="slack_callback")]
