"""Reads of the Slack connection."""

from .models import SlackConnection


def get_connection(organization) -> SlackConnection | None:
    return SlackConnection.objects.filter(organization=organization).first()
