"""JSON API for scripts: GET the Slack connection's status, DELETE to disconnect (admins)."""

from typing import Annotated

from pydantic import Field

from accounts.api import Error, api_actor, auth
from accounts.api import router as api_router
from integrations.api import ConnectionStatus, connection_status_json, not_connected

from . import services
from .oauth import missing_scopes, operator_app_problem
from .selectors import get_connection

router = api_router(
    "Slack connection",
    "The organization's Slack workspace, added with Add to Slack on Settings → Integrations (admins).",
)


class SlackConnectionStatus(ConnectionStatus):
    status: Annotated[str, Field(json_schema_extra={"enum": ["not_connected", "active", "needs_reauth"]})]
    setup_problem: str | None = None
    team_id: str | None = None
    team_name: str | None = None
    team_url: str | None = None
    enterprise_id: str | None = None
    app_id: str | None = None
    bot_user_id: str | None = None
    bot_name: str | None = None
    scopes: list[str] | None = None
    missing_scopes: list[str] | None = None
    last_error_transient: bool | None = None


class SlackDisconnected(SlackConnectionStatus):
    token_revoked: bool = Field(
        description="The bot token no longer works at Slack because Roster removed its app from the workspace "
        "or revoked the token (false when another organization still uses Roster in the workspace, or Slack "
        "did not confirm it)."
    )
    token_note: str = Field(description="What became of the token and the app, and what is left to do in Slack.")


def status_json(organization) -> dict:
    """The connection as the JSON API shows it. Never the token."""
    connection = get_connection(organization)
    if connection is None:
        return {"connected": False, "status": "not_connected", "setupProblem": operator_app_problem() or None}
    status = connection_status_json(
        connection,
        teamId=connection.team_id,
        teamName=connection.team_name,
        teamUrl=connection.team_url or None,
        enterpriseId=connection.enterprise_id or None,
        appId=connection.app_id or None,
        botUserId=connection.bot_user_id or None,
        botName=connection.bot_name or None,
        scopes=connection.scope_list,
        missingScopes=missing_scopes(connection.scope_list),
        lastErrorTransient=bool(connection.last_error) and connection.last_error_transient,
    )
    return status | {"lastError": connection.last_error_for_admins or None}  # admins read the advice too


@router.get(
    "/",
    response=SlackConnectionStatus,
    exclude_unset=True,
    auth=auth(),
    operation_id="getSlackConnection",
    summary="Slack connection status",
)
def connection(request):
    """Never the bot token. `status` is `needs_reauth` when Slack refused the token (the app was removed
    or the token revoked): an admin clicks Reconnect Slack. When not connected, `setupProblem` says what
    the operator must set before anyone can Add to Slack (or is null). `lastErrorTransient` is true when
    `lastError` is Slack's own trouble (an outage, a rate limit: Degraded on the card, Roster tries again)."""
    return status_json(request.organization)


@router.delete(
    "/",
    response={200: SlackDisconnected, 404: Error},
    exclude_unset=True,
    auth=auth(),
    operation_id="disconnectSlack",
    summary="Disconnect Slack",
)
def disconnect(request):
    """Removes Roster's app from the Slack workspace (`apps.uninstall`; if Slack refuses, revokes the bot
    token with `auth.revoke`; best effort), then deletes the token. While another organization uses Roster
    in the same workspace, nothing is done at Slack (the app has one bot token per workspace, theirs
    too). `tokenRevoked` says whether the token no longer works at Slack because Roster removed the app or
    revoked it, `tokenNote` what became of the token and the app (and what is left to do in Slack). 404
    `not_connected` when Slack is not connected."""
    given = services.connection_disconnect(organization=request.organization, actor=api_actor(request))
    if given is None:
        raise not_connected(services.NotConnected.message)
    outcome = {"tokenRevoked": given.dead, "tokenNote": services.token_outcome(given)}
    return status_json(request.organization) | outcome
