"""Slack connection business rules: plain functions the views, API, tasks and tests call.

Later senders (user groups, topics, messages) get their client from `client_for(connection)` and
report any `client.NeedsReauth` with `connection_record_error`, which turns the card into
"Reconnect Slack".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from integrations.connections import audit_disconnect, audit_revalidation, disconnect_hook_notes, locked_connection

from . import client as slack
from . import oauth
from .models import PROVIDER, SlackConnection, SlackUser
from .selectors import SlackMatch, connections_for_team, get_connection, normalize_email, workspace_used_by_another

log = logging.getLogger(__name__)


class NotConnected(Exception):
    message = "Slack is not connected for this organization."


def client_for(connection: SlackConnection, *, interactive: bool = False) -> slack.SlackClient:
    """`interactive`: while Slack waits for Roster's answer (see client.SlackClient)."""
    return slack.SlackClient(connection.bot_token, team_id=connection.team_id or None, interactive=interactive)


def connection_record_error(connection: SlackConnection, error: slack.SlackError) -> None:
    """Record an error on the card. A dead token (`NeedsReauth`) marks the connection needs_reauth; a
    transient error (Slack down, rate-limiting) reads Degraded and never hides one a person must fix."""
    if not error.permanent and connection.last_error and not connection.last_error_transient:
        return
    fields = ["last_error", "last_error_code", "last_error_at", "last_error_transient", "updated_at"]
    connection.last_error, connection.last_error_code = error.reason[:500], error.code[:60]
    connection.last_error_transient = not error.permanent
    connection.last_error_at = timezone.now()
    became_dead = isinstance(error, slack.NeedsReauth) and connection.status != SlackConnection.Status.NEEDS_REAUTH
    if isinstance(error, slack.NeedsReauth):
        connection.status = SlackConnection.Status.NEEDS_REAUTH
        fields.append("status")
    connection.save(update_fields=fields)
    if became_dead:
        audit_record(
            organization=connection.organization,
            provider=PROVIDER,
            action="needs_reauth",
            summary=f"Slack no longer accepts Roster's token ({error.code}): needs Reconnect Slack",
            detail={"error": error.code},
        )


def connection_revalidate(*, connection: SlackConnection, actor: Actor | None = None) -> SlackConnection:
    """Check the bot token with auth.test and refresh the workspace's name. Errors are recorded, then raised."""
    try:
        identity = client_for(connection).auth_test()
    except slack.SlackError as error:
        connection_record_error(connection, error)
        raise
    was = connection.status
    connection.team_name = identity.team_name or connection.team_name
    connection.team_url = identity.url or connection.team_url
    connection.bot_name = identity.user or connection.bot_name
    connection.bot_id = identity.bot_id or connection.bot_id
    connection.status = SlackConnection.Status.ACTIVE
    connection.validated_at = timezone.now()
    connection.last_error, connection.last_error_code, connection.last_error_at = "", "", None
    connection.save()
    audit_revalidation(
        connection, provider=PROVIDER, was=was, actor=actor, summary="Re-checked the Slack connection: active"
    )
    return connection


def token_outcome(given: oauth.GivenBack) -> str:
    """What became of the bot token at a disconnect (the page and the API's `tokenNote` say it)."""
    return f"Roster deleted its token. {given.sentence}"


def connection_disconnect(*, organization, actor: Actor | None = None) -> oauth.GivenBack | None:
    """Give the bot token back at Slack (`oauth.give_back`: the app removed from the workspace, or
    the token revoked, or left alone while another organization uses the workspace; best effort, no
    lock held), then delete the connection, pending installs and run other apps' disconnect hooks in
    one transaction; audited. Returns what became of the token at Slack, None when not connected."""
    current = get_connection(organization)
    if current is None:
        return None
    given = oauth.give_back(
        organization=organization, token=current.bot_token, team_id=current.team_id, team_name=current.team_name
    )
    with locked_connection(SlackConnection, organization) as connection:
        if connection is None:
            return None
        oauth.LOGINS.delete_for(organization)
        notes = [given.note, *disconnect_hook_notes(PROVIDER, organization)]
        team = connection.team_name or connection.team_id
        if not workspace_used_by_another(connection.team_id, organization=organization):
            SlackUser.objects.filter(team_id=connection.team_id).delete()  # people's emails go with it
        connection.delete()
        audit_disconnect(
            organization=organization,
            provider=PROVIDER,
            actor=actor,
            what=f"Disconnected the Slack workspace {team}",
            notes=notes,
            detail={"team_id": current.team_id},
        )
    return given


# --- People: who each email address is in Slack ---------------------------------------------------

# An address Slack did not know is asked about again after this long (the person may have joined).
NOT_FOUND_RECHECK = timedelta(hours=1)


def slack_users_match(*, connection: SlackConnection, emails: Iterable[str]) -> SlackMatch:
    """Match people to Slack users by email (users.lookupByEmail), cached per workspace.

    A cached user id is used as it is (`slack_user_forget` drops one Slack refuses, so the next
    match looks it up again); an address never looked up, or that Slack did not know over
    NOT_FOUND_RECHECK ago, is looked up now. One person Slack does not know never stops the others.
    If Slack is rate-limiting or down, the rest of the addresses keep what the cache knows and are
    looked up on a later call. A dead token marks the connection (Reconnect Slack) and is raised, as
    is a missing permission (users:read.email), recorded on the card.
    """
    wanted = list(dict.fromkeys(normalize_email(e) for e in emails if e and e.strip()))
    cached = {u.email: u for u in SlackUser.objects.filter(team_id=connection.team_id, email__in=wanted)}
    now = timezone.now()
    due = [
        e
        for e in wanted
        if e not in cached or (not cached[e].user_id and cached[e].looked_up_at <= now - NOT_FOUND_RECHECK)
    ]
    if due:
        bot = client_for(connection)
        for email in due:
            try:
                user_id = bot.users_lookup_by_email(email) or ""
            except (slack.RateLimited, slack.Unavailable) as error:
                log.info("Slack look-ups paused for connection %s: %s", connection.pk, error.code)
                break
            except slack.SlackError as error:
                connection_record_error(connection, error)
                raise
            cached[email], _ = SlackUser.objects.update_or_create(
                team_id=connection.team_id, email=email, defaults={"user_id": user_id, "looked_up_at": now}
            )
    linked = {e: cached[e].user_id for e in wanted if e in cached and cached[e].user_id}
    return SlackMatch(linked=linked, unlinked=[e for e in wanted if e not in linked])


def slack_user_forget(*, team_id: str, user_ids: Iterable[str]) -> int:
    """Drop cached matches Slack refused (a deactivated account, `invalid_users`): looked up again next time."""
    return SlackUser.objects.filter(team_id=team_id, user_id__in=list(user_ids)).delete()[0]


# A Slack user's address learnt from users.info (or users.lookupByEmail) is trusted this long.
PERSON_TRUST = timedelta(days=1)


def slack_user_email(*, connection: SlackConnection, user_id: str, interactive: bool = False) -> str:
    """The email address of a Slack user (who typed a command or clicked a button), "" when Slack
    knows no such active person or shows no address. From the per-workspace cache when a look-up of
    the last PERSON_TRUST gave it, else users.info (`interactive`: while Slack waits, see
    client.SlackClient). A dead token or a missing permission is recorded on the card and raised."""
    fresh = timezone.now() - PERSON_TRUST
    cached = (
        SlackUser.objects.filter(team_id=connection.team_id, user_id=user_id, looked_up_at__gte=fresh)
        .order_by("-looked_up_at")
        .first()
    )
    if cached is not None:
        return cached.email
    try:
        person = client_for(connection, interactive=interactive).users_info(user_id)
    except (slack.NeedsReauth, slack.Permanent) as error:
        connection_record_error(connection, error)
        raise
    if person is None or not person.active or not person.email:
        return ""
    email = normalize_email(person.email)
    SlackUser.objects.update_or_create(
        team_id=connection.team_id, email=email, defaults={"user_id": person.id, "looked_up_at": timezone.now()}
    )
    return email


def connections_revoked(*, team_id: str) -> int:
    """Slack said the app was uninstalled from a workspace or its bot token revoked (the Events API's
    `app_uninstalled` / `tokens_revoked`): each connection of that workspace needs Reconnect Slack."""
    connections = connections_for_team(team_id)
    for connection in connections:
        connection_record_error(connection, slack.error_for("token_revoked"))
    return len(connections)
