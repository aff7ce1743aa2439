"""Settings → Integrations → Slack: thin views over oauth.py and services.py. Every action is a POST
form; a GET shows the page with the matching dialog open, so everything works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_org_for_admin
from accounts.actor import Actor
from accounts.dialogs import ConfirmForm
from integrations.views import back_to_integrations, disconnect_view, finish_sign_in, refresh_view, warn_missing_scopes

from . import client as slack
from . import oauth, services
from .selectors import get_connection


@login_required
@require_POST
def install(request):
    """Add to Slack (and Reconnect Slack): off to Slack's authorize page."""
    org = get_org_for_admin(request)
    try:
        url = oauth.install_start(organization=org, user=request.user, session=request.session)
    except oauth.NotConfigured as error:
        messages.error(request, error.message)
        return back_to_integrations()
    return redirect(url)


@login_required
@require_GET
def callback(request):
    """Slack's redirect back: {PUBLIC_BASE_URL}/integrations/slack/callback."""
    connection = finish_sign_in(
        request, finish=oauth.install_finish, error_type=oauth.InstallError, log_what="Slack install"
    )
    if connection is not None:
        messages.success(request, f"Slack connected to the workspace {connection.team_name or connection.team_id}.")
        warn_missing_scopes(
            request, oauth.missing_scopes(connection.scope_list), provider="Slack", scopes="permissions"
        )
    return back_to_integrations()


@login_required
@require_http_methods(["GET", "POST"])
def disconnect(request):
    def run(org, actor):
        given = services.connection_disconnect(organization=org, actor=actor)
        if given is None:
            messages.info(request, "Slack was already disconnected.")
        else:
            flash = messages.warning if given.left_to_do else messages.success
            flash(request, f"Slack disconnected. {services.token_outcome(given)}")

    return disconnect_view(
        request, dialog="slack-disconnect", form_name="slack_disconnect_form", form_class=ConfirmForm, disconnect=run
    )


@login_required
@require_POST
def refresh(request):
    """Refresh: check the bot token with Slack again (auth.test)."""

    def check(connection):
        try:
            services.connection_revalidate(connection=connection, actor=Actor.of_request(request))
        except slack.SlackError as error:
            (messages.error if error.permanent else messages.warning)(request, f"Refresh failed: {error.message}")
        else:
            messages.success(request, "Connection refreshed: Slack accepted Roster's token.")

    return refresh_view(
        request, get_connection=get_connection, not_connected=services.NotConnected.message, refresh=check
    )
