"""Who a set of PagerDuty credentials acts as, and what it may read (the check before anything is saved)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from . import client as pd
from .models import PagerDutyConnection

UNAUTHORIZED_HELP = (
    "Check that you pasted a REST API key (PagerDuty → Integrations → API Access Keys), not an "
    "Events/integration key; that it has not been revoked; and that the service region (US or EU) "
    "matches your PagerDuty account."
)


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
        # Writing schedule overrides (cover requests): unknown for a key until a write succeeds or
        # is refused (services.connection_record_write_access); an OAuth grant says by its scopes.
        "write_overrides": "unknown",
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
    connection.last_error, connection.last_error_at, connection.last_error_code = "", None, ""
    # New or re-validated credentials: the next change poll tries GET /oncalls again (a 403 before
    # made it re-read whole schedules; rotations/freshness.py).
    connection.change_detection = ""


class DifferentAccount(Exception):
    """New credentials belong to another PagerDuty account than the connection's: replacing them in
    place would leave every rotation bound to schedules of the old account. Nothing is changed."""

    code = "different_account"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.message = f"{reason} Nothing was changed."


def account_label(subdomain: str, region: str) -> str:
    if not subdomain:
        return "an account Roster could not name"
    return f"{subdomain}.{'eu.' if region == 'eu' else ''}pagerduty.com"


def check_same_account(connection: PagerDutyConnection, *, subdomain: str, region: str) -> None:
    """Raise DifferentAccount unless the new credentials' account is the connection's (same region,
    same subdomain when both are known)."""
    old = connection.account_subdomain.lower()
    new = (subdomain or "").lower()
    if region == connection.region and (not old or not new or old == new):
        return
    raise DifferentAccount(
        f"These credentials belong to the PagerDuty account {account_label(new, region)}, but Roster is "
        f"connected to {account_label(old, connection.region)}, whose schedules your rotations follow. "
        "To use another PagerDuty account, disconnect first: each rotation then offers to follow its "
        "schedule again."
    )
