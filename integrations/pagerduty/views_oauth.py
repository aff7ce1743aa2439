"""Connect with OAuth: the dialog's form, PagerDuty's redirect back, and Refresh Connection for
OAuth connections. Thin views over oauth.py; every outcome lands the admin back on the card."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import get_org_for_admin
from integrations.views import redirect_to_dialog, render_integrations_page

from . import client as pd
from . import oauth
from .forms import oauth_connect_form, switch_oauth_form
from .models import PagerDutyConnection

log = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def oauth_connect(request):
    return _start_login(
        request, dialog="pagerduty-connect-oauth", form_name="pd_oauth_form", make_form=oauth_connect_form
    )


@login_required
@require_http_methods(["GET", "POST"])
def switch_oauth(request):
    """Switch to OAuth: the login replaces an API key connection's credentials in place when
    PagerDuty sends the admin back (same account only; rotations kept)."""
    return _start_login(
        request, dialog="pagerduty-switch-oauth", form_name="pd_switch_oauth_form", make_form=switch_oauth_form
    )


def _start_login(request, *, dialog: str, form_name: str, make_form):
    org = get_org_for_admin(request)
    if request.method == "GET":
        return redirect_to_dialog(dialog)
    form = make_form(request.POST, operator_app_ready=not oauth.operator_app_problem())
    if form.is_valid():
        data = form.cleaned_data
        try:
            app = (
                oauth.organization_app(data["client_id"], data["client_secret"])
                if data["client_id"]
                else oauth.operator_app()
            )
            url = oauth.oauth_login_start(
                organization=org, app=app, user=request.user, session=request.session, region=data["region"]
            )
        except (oauth.OAuthNotAvailable, pd.PagerDutyError) as error:
            form.add_error(None, error.message)
        else:
            return redirect(url)
    return render_integrations_page(request, open_dialog=dialog, extra={form_name: form})


@login_required
@require_GET
def oauth_callback(request):
    """PagerDuty's redirect back: {PUBLIC_BASE_URL}/api/integrations/pagerduty/login/callback."""
    org = get_org_for_admin(request)
    try:
        connection = oauth.oauth_login_finish(
            organization=org, user=request.user, params=request.GET, session=request.session
        )
    except oauth.OAuthLoginError as error:
        log.info("PagerDuty OAuth login for organization %s failed: %s", org.pk, error.code)
        messages.error(request, error.message)
        return redirect("integrations:index")
    was = getattr(connection, "replaced_auth_type", None)
    if was == PagerDutyConnection.AuthType.API_KEY:
        messages.success(
            request,
            f"Switched to OAuth as {connection.display_name}. Rotations keep following their PagerDuty "
            "schedules; Roster deleted the API key.",
        )
    elif was == PagerDutyConnection.AuthType.OAUTH:
        messages.success(request, f"PagerDuty connection refreshed: signed in again as {connection.display_name}.")
    else:
        messages.success(request, f"PagerDuty connected with OAuth as {connection.display_name}.")
    missing = oauth.missing_scopes(connection.scope_list)
    if missing:
        messages.warning(request, f"PagerDuty did not grant the scopes Roster needs: {', '.join(missing)}.")
    return redirect("integrations:index")


def refresh_with_login(request, connection):
    """Refresh Connection on an OAuth connection runs the login again; the tokens are replaced
    only when it succeeds."""
    try:
        url = oauth.oauth_login_start(
            organization=connection.organization,
            app=oauth.app_for_connection(connection),
            user=request.user,
            session=request.session,
            region=connection.region,
        )
    except (oauth.OAuthNotAvailable, pd.PagerDutyError) as error:
        messages.error(request, f"Could not start the sign-in to PagerDuty: {error.message} Nothing was changed.")
        return redirect("integrations:index")
    return redirect(url)


def card_context(request, organization, connection) -> dict:
    """The OAuth parts of the PagerDuty card and its Connect dialog."""
    problem = oauth.operator_app_problem()
    context = {
        "pd_oauth_operator_problem": problem,
        "pd_oauth_redirect_url": oauth.redirect_url(),
        "pd_oauth_scopes": " ".join(oauth.requested_scopes(operator=not problem)),
        "pd_oauth_org_scopes": " ".join(oauth.ORG_APP_SCOPES),
        "pd_oauth_scope_list": oauth.requested_scopes(operator=not problem),
        "pd_oauth_org_scope_list": list(oauth.ORG_APP_SCOPES),
        "pd_oauth_missing_scopes": [],
    }
    if connection is not None and connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        context["pd_oauth_missing_scopes"] = oauth.missing_scopes(connection.scope_list)
    return context
