"""PagerDuty connection business rules: plain functions the views, API, tasks and tests call.

Nothing is saved before PagerDuty has accepted the credentials; a failed validation raises the
client's typed error with a message a person can act on, and leaves any existing connection as
it was.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from integrations import registry
from integrations.connections import audit_disconnect, audit_revalidation, disconnect_hook_notes, locked_connection

from . import client as pd
from . import oauth
from .budget import Budget
from .credentials import Identity, apply_identity, check_same_account, identify
from .models import PROVIDER, PagerDutyConnection
from .selectors import TRANSIENT_ERROR_CODES, get_connection, is_transient

log = logging.getLogger(__name__)


def client_for(
    connection: PagerDutyConnection, *, background: bool = False, budget_wait: float = 0.0
) -> pd.PagerDutyClient:
    """A client acting with the connection's stored credentials (API key or OAuth token). While a
    transient error (PagerDuty unreachable) is on the card, the first call PagerDuty answers clears it.
    `background`: every request spends the credential's background budget first (budget.py), waiting
    at most `budget_wait` seconds for room; people's own requests (picker, Sync now) do not."""
    if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        client = oauth.oauth_client_for(connection)
    else:
        client = pd.PagerDutyClient.for_api_key(connection.api_key, region=connection.region)
    if is_transient(connection):
        client.on_success = lambda: connection_clear_transient_error(connection)
    client.on_override_write = lambda allowed: connection_record_write_access(
        connection, allowed, capability="write_overrides"
    )
    if background:
        client.budget, client.budget_wait = Budget.for_connection(connection), budget_wait
    return client


def oncalls_capability(connection: PagerDutyConnection) -> str:
    """May the credentials read `GET /oncalls`? "no" for an OAuth grant without `oncalls.read` (or a
    Classic app's `read`), or when PagerDuty refused it (403, remembered as the change detection
    `full_fetches`); "unknown" until PagerDuty says; "yes" once it answered."""
    if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        scopes = connection.scope_list
        if scopes and not any(s in scopes for s in ("read", "oncalls.read")):
            return "no"
    if connection.change_detection == PagerDutyConnection.ChangeDetection.FULL_FETCHES:
        return "no"
    return "yes" if connection.change_detection == PagerDutyConnection.ChangeDetection.ONCALLS else "unknown"


def connection_record_change_poll(
    *, connection: PagerDutyConnection, detection: str, at, seconds: float, requests: int
) -> None:
    """One change poll done: how (on-call entries or whole schedules), when, how long, how many requests."""
    PagerDutyConnection.objects.filter(pk=connection.pk).update(
        change_detection=detection,
        change_polled_at=at,
        change_poll_seconds=round(seconds, 3),
        change_poll_requests=requests,
    )
    connection.change_detection, connection.change_polled_at = detection, at
    connection.change_poll_seconds, connection.change_poll_requests = round(seconds, 3), requests


def connection_record_refetch_wait(*, connection_id: int, seconds: float) -> None:
    """A schedule the poll found changed was re-read `seconds` after: a moving average for the card."""
    connection = PagerDutyConnection.objects.filter(pk=connection_id).only("refetch_wait_seconds").first()
    if connection is None:
        return
    previous = connection.refetch_wait_seconds
    value = seconds if previous <= 0 else 0.8 * previous + 0.2 * seconds
    PagerDutyConnection.objects.filter(pk=connection_id).update(refetch_wait_seconds=round(max(value, 0.0), 3))


def connection_clear_transient_error(connection: PagerDutyConnection) -> None:
    """PagerDuty answered again: a transient error is history (one conditional UPDATE)."""
    PagerDutyConnection.objects.filter(pk=connection.pk, last_error_code__in=TRANSIENT_ERROR_CODES).update(
        last_error="", last_error_at=None, last_error_code="", updated_at=timezone.now()
    )
    connection.last_error, connection.last_error_at, connection.last_error_code = "", None, ""


def connection_connect_api_key(
    *, organization, api_key: str, region: str = "us", actor: Actor | None = None
) -> PagerDutyConnection:
    """Connect (or reconnect) with a REST API key, validated against PagerDuty before saving; a
    connection made meanwhile is replaced only by a key of its own account (DifferentAccount)."""
    api_key = api_key.strip()
    identity = identify(pd.PagerDutyClient.for_api_key(api_key, region=region))
    with transaction.atomic():
        # get_or_create: two admins connecting at once both end here, one creates, the other
        # waits for the row lock and updates it (no IntegrityError, no 500).
        connection, created = PagerDutyConnection.objects.select_for_update().get_or_create(
            organization=organization, defaults={"auth_type": PagerDutyConnection.AuthType.API_KEY}
        )
        if not created:  # a Connect dialog left open: rotations may already follow this account's schedules
            check_same_account(connection, subdomain=identity.subdomain, region=region)
        connection.connected_by = actor.user if actor else None
        _store_api_key(connection, api_key=api_key, region=region, identity=identity)
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="connect",
            actor=actor,
            summary=f"Connected with a REST API key ending in {connection.key_last4}"
            + ("" if created else " (replacing the previous connection)"),
            detail={"auth_type": "api_key", "key_last4": connection.key_last4, "region": region},
        )
    return connection


def _store_api_key(connection: PagerDutyConnection, *, api_key: str, region: str, identity: Identity) -> None:
    """Save a validated API key and who it acts as; OAuth credentials (tokens, client secret) go."""
    connection.auth_type = PagerDutyConnection.AuthType.API_KEY
    connection.region = region
    connection.api_key = api_key
    connection.key_last4 = api_key[-4:]
    connection.clear_oauth()
    apply_identity(connection, identity)
    connection.save()


class NotConnected(Exception):
    message = "PagerDuty is not connected for this organization."


def connection_rotate_api_key(
    *, organization, api_key: str, region: str | None = None, actor: Actor | None = None
) -> PagerDutyConnection:
    """Replace the credentials with an API key, in place: a new key, or a switch from OAuth ("Switch
    to API key"). The key is validated first and must belong to the connection's PagerDuty account
    (DifferentAccount otherwise); on any failure the current credentials stay. Every rotation keeps
    its schedule. Replaced OAuth tokens are revoked at PagerDuty after the commit (best effort)."""
    current = get_connection(organization)
    if current is None:
        raise NotConnected()
    api_key = api_key.strip()
    region = region or current.region
    identity = identify(pd.PagerDutyClient.for_api_key(api_key, region=region))
    check_same_account(current, subdomain=identity.subdomain, region=region)
    with transaction.atomic():
        connection = PagerDutyConnection.objects.select_for_update().get(pk=current.pk)
        check_same_account(connection, subdomain=identity.subdomain, region=region)
        switching = connection.auth_type == PagerDutyConnection.AuthType.OAUTH
        old_last4 = connection.key_last4
        _store_api_key(connection, api_key=api_key, region=region, identity=identity)
        if switching:
            summary = f"Switched from OAuth to a REST API key ending in {connection.key_last4}; rotations kept"
        else:
            summary = f"Rotated the API key: …{old_last4 or '—'} → …{connection.key_last4}"
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="switch_to_api_key" if switching else "rotate_key",
            actor=actor,
            summary=summary,
            detail={"old_key_last4": old_last4, "key_last4": connection.key_last4},
        )
    if switching:
        # `current` still holds the replaced tokens in memory; the database no longer does.
        oauth.revoke_on_disconnect(current)
    return connection


def disconnect_warnings(organization) -> list[str]:
    """What a disconnect will affect, for its confirmation dialog."""
    connection = get_connection(organization)
    warnings = registry.disconnect_descriptions(PROVIDER, organization)
    if connection is not None and connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        warnings.append(oauth.DISCONNECT_WARNING)
    return warnings


def connection_disconnect(*, organization, actor: Actor | None = None) -> list[str] | None:
    """Delete the connection and its credentials. Returns what else happened (phrases: rotations
    unbound, OAuth tokens revoked or not), or None when there was nothing to delete.

    OAuth tokens are revoked at PagerDuty first (best effort, a network call), so no row lock is
    held while PagerDuty answers; then, in one transaction, other apps' disconnect hooks run
    (rotations unbind), pending logins and the connection are deleted, and the change is audited."""
    current = get_connection(organization)
    if current is None:
        return None
    oauth_note = oauth.revoke_on_disconnect(current) if current.auth_type == PagerDutyConnection.AuthType.OAUTH else ""
    with locked_connection(PagerDutyConnection, organization) as connection:
        if connection is None:
            return None
        oauth.LOGINS.delete_for(organization)
        notes = [oauth_note] if connection.auth_type == PagerDutyConnection.AuthType.OAUTH else []
        notes += disconnect_hook_notes(PROVIDER, organization)
        connection.delete()  # its fields stay readable for the audit
        return audit_disconnect(
            organization=organization,
            provider=PROVIDER,
            actor=actor,
            what="Disconnected PagerDuty",
            notes=notes,
            detail={"auth_type": connection.auth_type, "key_last4": connection.key_last4},
        )


def connection_record_error(connection: PagerDutyConnection, error: pd.PagerDutyError) -> None:
    """Record an error on the card. Credentials PagerDuty refuses mark the connection invalid; a
    transient error (PagerDuty unreachable) shows as Degraded until a later call succeeds, and
    never hides an error a person must fix."""
    if error.code in TRANSIENT_ERROR_CODES and connection.last_error and not is_transient(connection):
        return
    connection.last_error = error.stored_message[:500]
    connection.last_error_at = timezone.now()
    connection.last_error_code = error.code[:60]
    fields = ["last_error", "last_error_at", "last_error_code", "updated_at"]
    if isinstance(error, pd.Unauthorized) and connection.auth_type == PagerDutyConnection.AuthType.API_KEY:
        # Only the reason is stored: the card adds what to check for admins (selectors.connection_health).
        connection.status = PagerDutyConnection.Status.INVALID
        connection.last_error = f"{error.message}."[:500]
        fields.append("status")
    connection.save(update_fields=fields)


def connection_record_write_access(
    connection: PagerDutyConnection, allowed: bool, *, capability: str = "write"
) -> None:
    """What a write taught Roster: capabilities["write"] (creating a webhook subscription) or
    capabilities["write_overrides"] (a cover request's override). Only that key is updated, in the
    database's copy, so two writes learning different things do not undo each other."""
    value = "yes" if allowed else "no"
    if connection.capabilities.get(capability) == value:
        return
    with transaction.atomic():
        row = PagerDutyConnection.objects.select_for_update().filter(pk=connection.pk).first()
        stored = row.capabilities if row is not None else connection.capabilities
        capabilities = {**stored, capability: value}
        PagerDutyConnection.objects.filter(pk=connection.pk).update(capabilities=capabilities)
    connection.capabilities = capabilities


def connection_revalidate(*, connection: PagerDutyConnection, actor: Actor | None = None) -> PagerDutyConnection:
    """Check the stored credentials again and refresh who they act as. Errors are recorded, then raised."""
    try:
        identity = identify(client_for(connection))
    except pd.PagerDutyError as error:
        connection_record_error(connection, error)
        raise
    was = connection.status
    # The same credentials: what a write attempt taught Roster (capabilities["write"] and
    # ["write_overrides"]) still holds.
    identity.capabilities |= {key: connection.capabilities.get(key, "unknown") for key in ("write", "write_overrides")}
    apply_identity(connection, identity)
    connection.save()
    audit_revalidation(connection, provider=PROVIDER, was=was, actor=actor, summary="Re-checked the connection: active")
    return connection
