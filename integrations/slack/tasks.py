"""Celery tasks. Each takes primary keys, re-fetches, and returns quietly if the row is gone;
the work itself is a plain function in services.py."""

import logging

from celery import shared_task

from . import client as slack
from . import oauth
from .models import SlackConnection
from .services import connection_revalidate

log = logging.getLogger(__name__)


@shared_task
def start_validate_connections() -> int:
    """Beat: enqueue one auth.test per active connection, and drop installs abandoned over a day ago."""
    oauth.delete_stale_logins()
    ids = list(SlackConnection.objects.filter(status=SlackConnection.Status.ACTIVE).values_list("id", flat=True))
    for connection_id in ids:
        validate_connection.delay(connection_id)
    return len(ids)


@shared_task(
    autoretry_for=(slack.RateLimited, slack.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5
)
def validate_connection(connection_id: int) -> str:
    connection = SlackConnection.objects.select_related("organization").filter(pk=connection_id).first()
    if connection is None:
        return "gone"
    try:
        connection_revalidate(connection=connection)
    except slack.SlackError as error:
        if not error.permanent:
            raise  # retried with backoff; the error is already on the card
        log.info("Slack connection %s failed validation: %s", connection_id, error.code)
    return connection.status
