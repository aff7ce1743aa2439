"""Reads of the PagerDuty connection, and its health: the one status model the card, the JSON
status and Django admin show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.selectors import admin_names

from . import client as pd
from .credentials import UNAUTHORIZED_HELP
from .models import PagerDutyConnection
from .oauth import missing_scopes

# Client error codes that go away by themselves: Roster retries, nobody has to act.
TRANSIENT_ERROR_CODES = frozenset({"pagerduty_unavailable", "pagerduty_rate_limited", "pagerduty_unreadable_response"})
SIGN_IN_AGAIN = "Sign in to PagerDuty again"
REPLACE_KEY = "Replace the API key"


def get_connection(organization) -> PagerDutyConnection | None:
    return PagerDutyConnection.objects.filter(organization=organization).first()


@dataclass(frozen=True)
class Health:
    """How the connection is doing, in plain words.

    state: "active" | "degraded" (PagerDuty unreachable or throttling: Roster retries by itself,
    nobody is asked to act) | "action_needed" (an admin must act: `action` names the button) |
    "not_connected". `fixers` are the admins who can act, for members who cannot.
    """

    state: str
    message: str = ""
    action: str = ""
    since: datetime | None = None
    fixers: list[str] = field(default_factory=list)
    help: str = ""  # how to fix it, for the admins who can (members see `fixers` instead)

    LABELS = {
        "active": "Active",
        "degraded": "Degraded",
        "action_needed": "Action needed",
        "not_connected": "Not connected",
    }

    @property
    def label(self) -> str:
        return self.LABELS[self.state]

    def as_json(self) -> dict:
        return {
            "state": self.state,
            "label": self.label,
            "message": self.message or None,
            "action": self.action or None,
            "since": self.since.isoformat() if self.since else None,
            "fixers": self.fixers,
            "help": self.help or None,
        }


def is_transient(connection: PagerDutyConnection) -> bool:
    return bool(connection.last_error) and connection.last_error_code in TRANSIENT_ERROR_CODES


def connection_health(connection: PagerDutyConnection | None, *, organization=None, name_fixers=True) -> Health:
    """The connection's health. `organization` (or the connection's) names the admins who can fix it
    (one query; `name_fixers=False` skips it, for figures over many connections)."""
    if connection is None:
        return Health("not_connected", "Rotations cannot follow PagerDuty schedules until an admin connects it.")
    Status = PagerDutyConnection.Status
    is_oauth = connection.auth_type == PagerDutyConnection.AuthType.OAUTH
    # What an admin clicks: an OAuth connection signs in again (Refresh Connection runs the login),
    # an API key connection gets a new key (the Edit API Key dialog).
    fix = SIGN_IN_AGAIN if is_oauth else REPLACE_KEY
    needed: tuple[str, str] | None = None
    help_text = ""
    if connection.status == Status.NEEDS_REAUTH:
        # The refusal itself, not the instructions appended for admins (members cannot act on them).
        said = connection.last_refresh_error or "PagerDuty no longer accepts Roster's OAuth token."
        needed = (said, SIGN_IN_AGAIN)
    elif connection.status == Status.INVALID:
        needed = (connection.last_error or "PagerDuty refused the stored credentials.", fix)
        if connection.last_error_code == pd.Unauthorized.code:
            help_text = UNAUTHORIZED_HELP
    elif connection.last_error and not is_transient(connection):
        needed = (connection.last_error, fix)
    elif is_oauth and (missing := missing_scopes(connection.scope_list)):
        needed = (
            f"PagerDuty did not grant the scopes Roster needs: {', '.join(missing)}. Add them to the app in PagerDuty.",
            SIGN_IN_AGAIN,
        )
    if needed is not None:
        return Health(
            "action_needed",
            message=needed[0],
            action=needed[1],
            since=connection.last_error_at,
            fixers=admin_names(organization or connection.organization) if name_fixers else [],
            help=help_text,
        )
    if is_transient(connection):
        return Health(
            "degraded",
            message=f"{connection.last_error} Roster retries automatically; nothing to do.",
            since=connection.last_error_at,
        )
    if is_oauth and connection.last_refresh_result == PagerDutyConnection.RefreshResult.FAILED:
        return Health(
            "degraded",
            message=f"Roster could not refresh the OAuth token: {connection.last_refresh_error} "
            "It retries automatically; nothing to do.",
            since=connection.last_refreshed_at,
        )
    return Health("active")


def due_for_refresh():
    """OAuth connections whose token expires within the margin (the beat task's selector)."""
    margin = timedelta(seconds=settings.PAGERDUTY_OAUTH_REFRESH_MARGIN)
    return PagerDutyConnection.objects.filter(
        auth_type=PagerDutyConnection.AuthType.OAUTH, status=PagerDutyConnection.Status.ACTIVE
    ).exclude(token_expires_at__gt=timezone.now() + margin)
