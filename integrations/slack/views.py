"""Settings → Integrations → Slack: thin views over oauth.py and services.py. Every action is a POST
form; a GET shows the page with the matching dialog open, so everything works without JavaScript."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_org_for_admin
from accounts.actor import Actor
from integrations.views import redirect_to_dialog, render_integrations_page

from . import client as slack
from . import oauth, services
from .forms import DisconnectForm
from .selectors import get_connection

log = logging.getLogger(__name__)


@login_required
@require_POST
def install(request):
    """Add to Slack (and Reconnect Slack): off to Slack's authorize page."""
    org = get_org_for_admin(request)
    try:
        url = oauth.install_start(organization=org, user=request.user, session=request.session)
    except oauth.NotConfigured as error:
        messages.error(request, error.message)
        return redirect("integrations:index")
    return redirect(url)


@login_required
@require_GET
def callback(request):
    """Slack's redirect back: {PUBLIC_BASE_URL}/integrations/slack/callback."""
    org = get_org_for_admin(request)
    try:
        connection = oauth.install_finish(
            organization=org, user=request.user, params=request.GET, session=request.session
        )
    except oauth.InstallError as error:
        log.info("Slack install for organization %s failed: %s", org.pk, error.code)
        messages.error(request, error.message)
        return redirect("integrations:index")
    messages.success(request, f"Slack connected to the workspace {connection.team_name or connection.team_id}.")
    missing = oauth.missing_scopes(connection.scope_list)
    if missing:
        messages.warning(request, f"Slack did not grant the permissions Roster needs: {', '.join(missing)}.")
    return redirect("integrations:index")


@login_required
@require_http_methods(["GET", "POST"])
def disconnect(request):
    org = get_org_for_admin(request)
    if request.method == "GET":
        return redirect_to_dialog("slack-disconnect")
    form = DisconnectForm(request.POST)
    if not form.is_valid():
        return render_integrations_page(request, open_dialog="slack-disconnect", extra={"slack_disconnect_form": form})
    if services.connection_disconnect(organization=org, actor=Actor.of_request(request)):
        messages.success(request, "Slack disconnected. Roster revoked its token and deleted it.")
    return redirect("integrations:index")


@login_required
@require_POST
def refresh(request):
    """Refresh: check the bot token with Slack again (auth.test)."""
    org = get_org_for_admin(request)
    connection = get_connection(org)
    if connection is None:
        messages.error(request, services.NotConnected.message)
        return redirect("integrations:index")
    try:
        services.connection_revalidate(connection=connection, actor=Actor.of_request(request))
    except slack.SlackError as error:
        messages.error(request, f"Refresh failed: {error.message}")
    else:
        messages.success(request, "Connection refreshed: Slack accepted Roster's token.")
    return redirect("integrations:index")
