"""Celery tasks. Each takes primary keys, re-fetches, and returns quietly if the row is gone;
the work itself is a plain function in services.py."""

import logging

from celery import shared_task

from . import client as pd
from . import oauth, selectors
from .models import PagerDutyConnection
from .services import connection_revalidate

log = logging.getLogger(__name__)


@shared_task
def start_validate_connections() -> int:
    """Beat: enqueue one validation per active API-key connection."""
    ids = list(
        PagerDutyConnection.objects.filter(
            status=PagerDutyConnection.Status.ACTIVE, auth_type=PagerDutyConnection.AuthType.API_KEY
        ).values_list("id", flat=True)
    )
    for connection_id in ids:
        validate_connection.delay(connection_id)
    return len(ids)


@shared_task(autoretry_for=(pd.RateLimited, pd.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def validate_connection(connection_id: int) -> str:
    connection = PagerDutyConnection.objects.select_related("organization").filter(pk=connection_id).first()
    if connection is None:
        return "gone"
    try:
        connection_revalidate(connection=connection)
    except pd.PagerDutyError as error:
        if not error.permanent:
            raise  # retried with backoff; the error is already on the card
        log.info("PagerDuty connection %s failed validation: %s", connection_id, error.code)
        return connection.status
    return connection.status


@shared_task
def start_refresh_tokens() -> int:
    """Beat: enqueue one refresh per OAuth connection whose token expires within the margin, and
    delete pending OAuth logins older than a day."""
    oauth.delete_stale_logins()
    ids = list(selectors.due_for_refresh().values_list("id", flat=True))
    for connection_id in ids:
        refresh_connection_tokens.delay(connection_id)
    return len(ids)


@shared_task(autoretry_for=(pd.RateLimited, pd.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def refresh_connection_tokens(connection_id: int) -> str:
    """Refresh one connection's OAuth tokens unless another worker holds it or it is not due. A
    transient failure (PagerDuty down, timeout) is recorded on the card and retried with backoff."""
    return oauth.connection_refresh_tokens(connection_id=connection_id)
