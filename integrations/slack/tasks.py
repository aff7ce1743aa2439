"""Celery tasks: primary keys in, rows re-fetched (quiet when gone); the work is a plain function elsewhere."""

from celery import shared_task

from integrations.connections import enqueue_each, validate_one

from . import client as slack
from . import oauth
from .models import SlackConnection
from .services import connection_revalidate


@shared_task
def start_validate_connections() -> int:
    """Beat: enqueue one auth.test per active connection, and drop installs abandoned over a day ago."""
    oauth.LOGINS.delete_stale()
    return enqueue_each(SlackConnection.objects.filter(status=SlackConnection.Status.ACTIVE), validate_connection)


@shared_task(
    autoretry_for=(slack.RateLimited, slack.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5
)
def validate_connection(connection_id: int) -> str:
    return validate_one(SlackConnection, connection_id, revalidate=connection_revalidate, error_type=slack.SlackError)
