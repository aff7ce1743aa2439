"""How Slack appears on Settings → Integrations (the registry entry and its card context)."""

from functools import partial

from django.conf import settings

from accounts.access import is_admin
from accounts.dialogs import ConfirmForm
from accounts.selectors import admin_names
from integrations.registry import Disconnect, Provider, disconnect_descriptions

from .models import PROVIDER as PROVIDER_KEY
from .oauth import BOT_SCOPES, missing_scopes, operator_app_problem, redirect_url
from .selectors import get_connection, workspace_used_by_another


def card_context(request, organization) -> dict:
    connection = get_connection(organization)
    # Members cannot click Reconnect Slack: they read the problem and who can fix it.
    member_sees_problem = connection is not None and bool(connection.last_error) and not is_admin(request)
    return {
        "slack": connection,
        "slack_fixers": admin_names(organization) if member_sees_problem else [],
        "slack_setup_problem": operator_app_problem(),
        "slack_scopes": BOT_SCOPES,
        "slack_redirect_url": redirect_url(),
        "slack_missing_scopes": missing_scopes(connection.scope_list) if connection else [],
        "slack_disconnect_text": disconnect_text(organization, connection) if connection else "",
    }


def disconnect_text(organization, connection) -> str:
    """What Disconnect will do, as `oauth.give_back` does it (the confirmation's text)."""
    workspace = connection.team_name or "the workspace"
    if workspace_used_by_another(connection.team_id, organization=organization):
        done = (
            f"Roster deletes its token. Roster still works in {workspace} for another organization, so the app "
            "stays there."
        )
    else:
        done = f"Roster removes its app from {workspace} and deletes its token."
    return f"{done} Rotations stop updating {workspace}."


PROVIDER = Provider(
    key=PROVIDER_KEY,
    name="Slack",
    pitch="Rotations keep an on-duty user group, a channel topic and handoff messages current in Slack.",
    card_template="integrations/slack/card.html",
    card_context=card_context,
    order=20,
    prefix="slack",
    disconnect=Disconnect(ConfirmForm, partial(disconnect_descriptions, PROVIDER_KEY)),
    sign_in_urls=lambda: [settings.SLACK_AUTHORIZE_URL],  # Add to Slack
)
