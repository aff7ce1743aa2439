"""Add to Slack: Slack's OAuth v2 install flow with the operator's Slack app.

`install_start` records a single-use pending install (only the SHA-256 of `state`), puts the state
in the admin's session and returns Slack's authorize URL. `install_finish` checks Slack's redirect
back against both (same organization, same person, same session, unused, under LOGINS.ttl old),
exchanges the code at once with oauth.v2.access, asks auth.test who the bot is, and only then
saves the bot token (encrypted). Every failure is an `InstallError` with a fixed sentence: Slack's
own error text is never repeated to the admin.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from integrations.connections import PendingLogins, SetupProblem, SignInError

from . import client as slack
from .models import PROVIDER, SlackConnection, SlackOAuthLogin
from .selectors import workspace_used_by_another

log = logging.getLogger(__name__)

# Only what Roster's Slack features need (see /work/shared/slack-api.md): on-duty user groups,
# matching people by email, channel pickers (public and private), topics, handoff messages and DMs,
# and the /roster slash command (`commands`).
BOT_SCOPES = (
    "usergroups:read",
    "usergroups:write",
    "users:read",
    "users:read.email",
    "channels:read",
    "groups:read",
    "channels:write.topic",
    "groups:write.topic",
    "chat:write",
    "commands",
)
SESSION_KEY = "slack_oauth_state"
CALLBACK_PATH = "/integrations/slack/callback"


class NotConfigured(SetupProblem):
    pass


class InstallError(SignInError):
    pass


LOGINS = PendingLogins(
    model=SlackOAuthLogin,
    error=InstallError,
    session_key=SESSION_KEY,
    provider="Slack",
    flow="install",
    origin="an Add to Slack started here",
    again="Click Add to Slack again.",
    expired_again="Click Add to Slack again.",
)


def operator_app_problem() -> str:
    """Why "Add to Slack" cannot work on this server ("" when it can). Said to admins."""
    if settings.SLACK_CLIENT_ID and settings.SLACK_CLIENT_SECRET:
        return ""
    return "Slack isn't set up on this Roster server yet: the operator sets SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."


def redirect_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}{CALLBACK_PATH}"


def missing_scopes(granted: list[str]) -> list[str]:
    return [s for s in BOT_SCOPES if s not in granted]


def install_start(*, organization, user, session) -> str:
    """Record a pending install bound to this session, organization and person; return Slack's URL."""
    problem = operator_app_problem()
    if problem:
        raise NotConfigured(problem)
    state = secrets.token_urlsafe(32)
    LOGINS.start(organization=organization, user=user, state=state, session=session)
    return slack.authorize_url(
        client_id=settings.SLACK_CLIENT_ID, scopes=BOT_SCOPES, redirect_uri=redirect_url(), state=state
    )


# Slack's `error` on the redirect back, in fixed words (never Slack's text).
_REDIRECT_ERRORS = {
    "access_denied": "Slack access was denied: Roster was not added to the workspace.",
    "invalid_scope": "Slack refused the permissions Roster asked for: the operator's Slack app must allow them.",
}


def install_finish(*, organization, user, params, session) -> SlackConnection:
    """Finish an install from Slack's redirect. Raises InstallError, leaving any connection as it was.
    A callback without this session's state (a link anyone can send) changes nothing, so it cannot
    cancel the install the admin is in the middle of."""
    state = params.get("state") or ""
    session_state = session.get(SESSION_KEY)
    ours = bool(state and session_state) and hmac.compare_digest(str(session_state).encode(), state.encode())
    if ours:
        session.pop(SESSION_KEY, None)  # single use, whatever happens next
    if params.get("error"):
        if ours:
            LOGINS.burn(organization=organization, state=state)
        code = slack.safe_code(params.get("error"))
        raise InstallError(
            _REDIRECT_ERRORS.get(code, f"Slack did not add Roster to the workspace ({code})."),
            code="authorization_error",
        )
    login = LOGINS.claim(organization=organization, user=user, state=state, session_state=session_state)
    return _finish(login, code=params.get("code") or "", actor=Actor.person(user))


def _finish(login: SlackOAuthLogin, *, code: str, actor: Actor) -> SlackConnection:
    if not code:
        raise LOGINS.missing_code()
    problem = operator_app_problem()
    if problem:
        raise InstallError(problem, code="not_configured")
    try:
        install = slack.SlackClient.anonymous().oauth_v2_access(
            client_id=settings.SLACK_CLIENT_ID,
            client_secret=settings.SLACK_CLIENT_SECRET,
            code=code,
            redirect_uri=redirect_url(),
        )
        identity = slack.SlackClient(install.access_token, team_id=install.team_id).auth_test()
    except slack.SlackError as error:
        log.info("Slack install for organization %s failed: %s", login.organization_id, error.code)
        raise InstallError(f"Slack did not complete the install: {error.message}", code="exchange_failed") from error
    try:
        return _save(login.organization, install, identity, actor)
    except InstallError as error:
        if error.code == "different_workspace":
            given = give_back(
                organization=login.organization,
                token=install.access_token,
                team_id=install.team_id or identity.team_id,
                team_name=install.team_name or identity.team_name,
            )
            error.message += " " + given.sentence
        raise


@dataclass(frozen=True)
class GivenBack:
    """What became of a bot token Roster gave back (`give_back`)."""

    note: str  # for the audit trail
    sentence: str  # for the admin: what happened at Slack and, when something is left, what to do
    dead: bool  # the token no longer works at Slack because Roster removed the app or revoked it
    left_to_do: bool  # the admin has something to do in Slack (the sentence says what)


def give_back(*, organization, token: str, team_id: str, team_name: str) -> GivenBack:
    """Give back a bot token Roster no longer keeps for `organization` (a Disconnect, a refused
    install), best effort; a network call, made outside any row lock.

    Slack gives an app one bot token per workspace, the same to every install there: while another
    organization is connected to the workspace, the token is theirs too, so nothing is done at Slack.
    Otherwise the app is removed from the workspace (apps.uninstall, with the operator's Slack app);
    if that cannot be done, the token is revoked (auth.revoke), which leaves the app in the
    workspace's list of apps for an admin to remove."""
    team = team_name or team_id or "the workspace"
    if workspace_used_by_another(team_id, organization=organization):
        return GivenBack(
            "app left in the workspace: another organization uses it",
            f"Roster still works in {team} for another organization, so the app stays there.",
            dead=False,
            left_to_do=False,
        )
    bot = slack.SlackClient(token, team_id=team_id or None)
    if operator_app_problem():
        return _revoke(bot, organization=organization, team=team, removal=_NOT_CONFIGURED)
    try:
        bot.apps_uninstall(client_id=settings.SLACK_CLIENT_ID, client_secret=settings.SLACK_CLIENT_SECRET)
    except slack.SlackError as error:
        log.info("Slack apps.uninstall for organization %s failed: %s", organization.pk, error.code)
        return _revoke(bot, organization=organization, team=team, removal=error.code)
    return GivenBack(
        "app removed from the workspace at Slack", f"Roster removed its app from {team}.", dead=True, left_to_do=False
    )


_NOT_CONFIGURED = "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set"


def _revoke(bot: slack.SlackClient, *, organization, team: str, removal: str) -> GivenBack:
    """auth.revoke, when the app could not be removed: `removal` is why (Slack's code, or _NOT_CONFIGURED)."""
    try:
        revoked = bot.auth_revoke()
    except slack.NeedsReauth:
        return GivenBack(
            "the token was already dead at Slack",
            f"Slack no longer accepted Roster's token for {team} (the app was removed or its token revoked): if "
            "Roster is still in the workspace's list of apps, remove it in Slack.",
            dead=False,
            left_to_do=True,
        )
    except slack.SlackError as error:
        log.info("Slack auth.revoke for organization %s failed: %s", organization.pk, error.code)
        return GivenBack(
            f"Roster could neither remove the app ({removal}) nor revoke the token ({error.code}): remove the app "
            "in Slack",
            f"Roster could neither remove its app from {team} ({removal}) nor revoke its token ({error.code}): "
            f"remove the Roster app from {team} in Slack.",
            dead=False,
            left_to_do=True,
        )
    if not revoked:
        return GivenBack(
            "Slack did not confirm the revocation",
            f"Slack did not confirm that it revoked Roster's token for {team}: remove the Roster app from {team} "
            "in Slack to be sure.",
            dead=False,
            left_to_do=True,
        )
    why = (
        "it cannot remove the app without the operator's SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
        if removal == _NOT_CONFIGURED
        else f"Slack could not remove the app ({removal})"
    )
    return GivenBack(
        f"token revoked at Slack; the app could not be removed ({removal})",
        f"Roster revoked its token for {team}, so it cannot act there, but {why}: to take the app off the "
        "workspace's list of apps too, remove it in Slack.",
        dead=True,
        left_to_do=True,
    )


def _save(organization, install: slack.Install, identity: slack.Identity, actor: Actor) -> SlackConnection:
    with transaction.atomic():
        connection = SlackConnection.objects.select_for_update().filter(
            organization=organization
        ).first() or SlackConnection(organization=organization)
        was = connection.team_name if connection.pk else None
        team_id, team_name = install.team_id or identity.team_id, install.team_name or identity.team_name
        if was is not None and connection.team_id and team_id != connection.team_id:
            raise InstallError(
                f"You added Roster to the Slack workspace {team_name or team_id}, but Roster is connected to "
                f"{was or connection.team_id}, whose user groups and channels your rotations use. To use another "
                "workspace, disconnect Slack first, then add it.",
                code="different_workspace",
            )
        connection.team_id, connection.team_name = team_id, team_name
        connection.team_url = identity.url
        connection.enterprise_id = install.enterprise_id or identity.enterprise_id
        connection.app_id = install.app_id
        connection.bot_user_id = install.bot_user_id or identity.user_id
        connection.bot_id = identity.bot_id
        connection.bot_name = identity.user
        connection.bot_token = install.access_token
        connection.scopes = ",".join(install.scopes)
        connection.status = SlackConnection.Status.ACTIVE
        connection.validated_at = timezone.now()
        connection.last_error, connection.last_error_code, connection.last_error_at = "", "", None
        connection.connected_by = actor.user
        connection.save()
        missing = missing_scopes(connection.scope_list)
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="reconnect" if was is not None else "connect",
            actor=actor,
            summary=("Reconnected" if was is not None else "Added to")
            + f" the Slack workspace {connection.team_name or connection.team_id}"
            + (f" (missing scopes: {', '.join(missing)})" if missing else ""),
            detail={"team_id": connection.team_id, "scopes": connection.scope_list},
        )
    return connection
