"""Slack's request URL for slash commands, interactivity and events: {PUBLIC_BASE_URL}/integrations/slack/events/."""

from django.urls import path

from . import slack_events

urlpatterns = [path("", slack_events.events, name="slack_events")]
