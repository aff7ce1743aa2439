"""Celery tasks: primary keys in, rows re-fetched (quiet when gone); the work is a plain function elsewhere."""

from celery import shared_task

from integrations.connections import enqueue_each, validate_one

from . import client as pd
from . import oauth, selectors
from .models import PagerDutyConnection
from .services import connection_revalidate


@shared_task
def start_validate_connections() -> int:
    """Beat: enqueue one validation per active API-key connection."""
    return enqueue_each(
        PagerDutyConnection.objects.filter(
            status=PagerDutyConnection.Status.ACTIVE, auth_type=PagerDutyConnection.AuthType.API_KEY
        ),
        validate_connection,
    )


@shared_task(autoretry_for=(pd.RateLimited, pd.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def validate_connection(connection_id: int) -> str:
    return validate_one(
        PagerDutyConnection, connection_id, revalidate=connection_revalidate, error_type=pd.PagerDutyError
    )


@shared_task
def start_refresh_tokens() -> int:
    """Beat: enqueue one refresh per OAuth connection whose token expires within the margin, and
    delete pending OAuth logins older than a day."""
    oauth.LOGINS.delete_stale()
    return enqueue_each(selectors.due_for_refresh(), refresh_connection_tokens)


@shared_task(autoretry_for=(pd.RateLimited, pd.Unavailable), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def refresh_connection_tokens(connection_id: int) -> str:
    """Refresh one connection's OAuth tokens unless another worker holds it or it is not due. A
    transient failure (PagerDuty down, timeout) is recorded on the card and retried with backoff."""
    return oauth.connection_refresh_tokens(connection_id=connection_id)
