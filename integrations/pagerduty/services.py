"""PagerDuty connection business rules: plain functions the views, API, tasks and tests call.

Nothing is saved before PagerDuty has accepted the credentials; a failed validation raises the
client's typed error with a message a person can act on, and leaves any existing connection as
it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from integrations.audit import audit_record

from . import client as pd
from .models import PagerDutyConnection

log = logging.getLogger(__name__)

PROVIDER = "pagerduty"

UNAUTHORIZED_HELP = (
    "Check that you pasted a REST API key (PagerDuty → Integrations → API Access Keys), not an "
    "Events/integration key; that it has not been revoked; and that the service region (US or EU) "
    "matches your PagerDuty account."
)


def last4(secret: str) -> str:
    return secret[-4:] if secret else ""


@dataclass
class Identity:
    """What PagerDuty tells us about a set of credentials."""

    is_account_key: bool = False
    user_id: str = ""
    user_name: str = ""
    user_email: str = ""
    subdomain: str = ""
    capabilities: dict = field(default_factory=dict)


def identify(client: pd.PagerDutyClient) -> Identity:
    """Validate credentials and find who they act as. Raises pd.PagerDutyError (e.g. Unauthorized)."""
    identity = Identity()
    read_users = "unknown"
    try:
        user = client.current_user()
        identity.user_id = user.get("id", "")
        identity.user_name = user.get("name") or user.get("summary") or ""
        identity.user_email = user.get("email", "")
        identity.subdomain = pd.subdomain_from_html_url(user.get("html_url")) or ""
        read_users = "yes"
    except pd.AccountLevelKey:
        identity.is_account_key = True
    if identity.is_account_key or not identity.subdomain:
        try:
            first = client.first_user()
            read_users = "yes"
            if first and not identity.subdomain:
                identity.subdomain = pd.subdomain_from_html_url(first.get("html_url")) or ""
        except pd.Forbidden:
            read_users = "no"
        except (pd.PaymentRequired, pd.BadRequest, pd.NotFound):
            pass
    identity.capabilities = {
        "read_users": read_users,
        "read_schedules": client.can_read("/schedules"),
        "read_teams": client.can_read("/teams"),
        # PagerDuty has no endpoint that tells a read-only key from a full-access one, and Roster
        # never probes with a write: say so rather than guess.
        "write": "unknown",
    }
    return identity


def apply_identity(connection: PagerDutyConnection, identity: Identity) -> None:
    connection.is_account_key = identity.is_account_key
    connection.external_user_id = identity.user_id
    connection.external_user_name = identity.user_name
    connection.external_user_email = identity.user_email
    connection.account_subdomain = identity.subdomain
    connection.capabilities = identity.capabilities
    connection.validated_at = timezone.now()
    connection.status = PagerDutyConnection.Status.ACTIVE
    connection.last_error = ""
    connection.last_error_at = None


def client_for(connection: PagerDutyConnection) -> pd.PagerDutyClient:
    """A client acting with the connection's stored credentials (API key or OAuth token)."""
    if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        from .oauth import oauth_client_for  # noqa: PLC0415  (OAuth support lives beside this module)

        return oauth_client_for(connection)
    return pd.PagerDutyClient.for_api_key(connection.api_key, region=connection.region)


def get_connection(organization) -> PagerDutyConnection | None:
    return PagerDutyConnection.objects.filter(organization=organization).first()


def connection_connect_api_key(*, organization, api_key: str, region: str = "us", actor=None) -> PagerDutyConnection:
    """Connect (or reconnect) with a REST API key, validated against PagerDuty before saving."""
    api_key = api_key.strip()
    identity = identify(pd.PagerDutyClient.for_api_key(api_key, region=region))
    with transaction.atomic():
        # get_or_create: two admins connecting at once both end here, one creates, the other
        # waits for the row lock and updates it (no IntegrityError, no 500).
        connection, created = PagerDutyConnection.objects.select_for_update().get_or_create(
            organization=organization, defaults={"auth_type": PagerDutyConnection.AuthType.API_KEY}
        )
        replaced = not created
        connection.connected_by = actor if getattr(actor, "is_authenticated", False) else None
        _store_api_key(connection, api_key=api_key, region=region, identity=identity)
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="connect",
            actor=actor,
            summary=f"Connected with a REST API key ending in {connection.key_last4}"
            + (" (replacing the previous connection)" if replaced else ""),
            detail={"auth_type": "api_key", "key_last4": connection.key_last4, "region": region},
        )
    return connection


def _store_api_key(connection: PagerDutyConnection, *, api_key: str, region: str, identity: Identity) -> None:
    """Save a validated API key and who it acts as; OAuth credentials (tokens, client secret) go."""
    connection.auth_type = PagerDutyConnection.AuthType.API_KEY
    connection.region = region
    connection.api_key = api_key
    connection.key_last4 = last4(api_key)
    connection.clear_oauth()
    apply_identity(connection, identity)
    connection.save()


class NotConnected(Exception):
    message = "PagerDuty is not connected for this organization."


def connection_rotate_api_key(
    *, organization, api_key: str, region: str | None = None, actor=None
) -> PagerDutyConnection:
    """Replace the API key. The new key is validated first; on failure the old one stays untouched."""
    current = get_connection(organization)
    if current is None:
        raise NotConnected()
    api_key = api_key.strip()
    region = region or current.region
    identity = identify(pd.PagerDutyClient.for_api_key(api_key, region=region))
    with transaction.atomic():
        connection = PagerDutyConnection.objects.select_for_update().get(pk=current.pk)
        old_last4 = connection.key_last4
        _store_api_key(connection, api_key=api_key, region=region, identity=identity)
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="rotate_key",
            actor=actor,
            summary=f"Rotated the API key: …{old_last4 or '—'} → …{connection.key_last4}",
            detail={"old_key_last4": old_last4, "key_last4": connection.key_last4},
        )
    return connection


# Functions other apps register to run inside a disconnect (e.g. unbinding rotations). Each takes
# (organization) and returns a short phrase for the audit summary, or "".
DISCONNECT_HOOKS: list = []
# Functions that say what a disconnect will affect, for the confirmation: (organization) -> str | "".
DISCONNECT_WARNINGS: list = []


def disconnect_warnings(organization) -> list[str]:
    return [w for w in (fn(organization) for fn in DISCONNECT_WARNINGS) if w]


def connection_disconnect(*, organization, actor=None) -> bool:
    """Delete the connection and its credentials. Returns False when there was nothing to delete."""
    with transaction.atomic():
        connection = PagerDutyConnection.objects.select_for_update().filter(organization=organization).first()
        if connection is None:
            return False
        notes = [n for n in (hook(organization) for hook in DISCONNECT_HOOKS) if n]
        auth_type, key_last4 = connection.auth_type, connection.key_last4
        connection.delete()
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="disconnect",
            actor=actor,
            summary="Disconnected PagerDuty" + (f" ({'; '.join(notes)})" if notes else ""),
            detail={"auth_type": auth_type, "key_last4": key_last4},
        )
    return True


def connection_record_error(connection: PagerDutyConnection, error: pd.PagerDutyError) -> None:
    """Record an error on the card. Credentials PagerDuty refuses mark the connection invalid."""
    connection.last_error = error.message[:500]
    connection.last_error_at = timezone.now()
    fields = ["last_error", "last_error_at", "updated_at"]
    if isinstance(error, pd.Unauthorized) and connection.auth_type == PagerDutyConnection.AuthType.API_KEY:
        connection.status = PagerDutyConnection.Status.INVALID
        connection.last_error = f"{error.message}. {UNAUTHORIZED_HELP}"[:500]
        fields.append("status")
    connection.save(update_fields=fields)


def connection_revalidate(*, connection: PagerDutyConnection, actor=None) -> PagerDutyConnection:
    """Check the stored credentials again and refresh who they act as. Errors are recorded, then raised."""
    try:
        identity = identify(client_for(connection))
    except pd.PagerDutyError as error:
        connection_record_error(connection, error)
        raise
    was = connection.status
    apply_identity(connection, identity)
    connection.save()
    if actor is not None or was != connection.status:
        audit_record(
            organization=connection.organization,
            provider=PROVIDER,
            action="revalidate",
            actor=actor,
            summary="Re-checked the connection: active",
        )
    return connection


def connection_status(organization) -> dict:
    """The connection's state as the JSON API and the card show it. Never a secret."""
    connection = get_connection(organization)
    if connection is None:
        return {"connected": False, "status": "not_connected"}
    data = {
        "connected": True,
        "status": connection.status,
        "displayName": connection.display_name,
        "authType": connection.auth_type,
        "region": connection.region,
        "isAccountKey": connection.is_account_key,
        "externalUserEmail": connection.external_user_email or None,
        "externalUserName": connection.external_user_name or None,
        "accountSubdomain": connection.account_subdomain or None,
        "capabilities": connection.capabilities,
        "validatedAt": connection.validated_at.isoformat() if connection.validated_at else None,
        "keyLast4": connection.key_last4 or None,
        "lastError": connection.last_error or None,
        "lastErrorAt": connection.last_error_at.isoformat() if connection.last_error_at else None,
    }
    for extra in STATUS_EXTENSIONS:
        data.update(extra(connection))
    return data


# Functions (connection) -> dict that add fields to the status (OAuth scopes and expiry, ...).
STATUS_EXTENSIONS: list = []
