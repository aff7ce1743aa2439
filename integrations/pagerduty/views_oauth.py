"""Connect with OAuth: the dialog's form, PagerDuty's redirect back, and Refresh Connection for
OAuth connections. Thin views over oauth.py; every outcome lands the admin back on the card."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from integrations.views import back_to_integrations, dialog_view, finish_sign_in, warn_missing_scopes

from . import client as pd
from . import oauth
from .forms import oauth_connect_form, switch_oauth_form
from .models import PagerDutyConnection


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
    def act(org, form):
        data = form.cleaned_data
        try:
            write = bool(data.get("write_overrides"))
            app = oauth.chosen_app(data["client_id"], data["client_secret"], write_overrides=write)
            url = oauth.oauth_login_start(
                organization=org, app=app, user=request.user, session=request.session, region=data["region"]
            )
        except (oauth.OAuthNotAvailable, pd.PagerDutyError) as error:
            form.add_error(None, error.message)
            return None
        return redirect(url)

    return dialog_view(
        request,
        dialog=dialog,
        form_name=form_name,
        make_form=lambda data: make_form(data, operator_app_ready=not oauth.operator_app_problem()),
        act=act,
    )


@login_required
@require_GET
def oauth_callback(request):
    """PagerDuty's redirect back: {PUBLIC_BASE_URL}/api/integrations/pagerduty/login/callback."""
    connection = finish_sign_in(
        request, finish=oauth.oauth_login_finish, error_type=oauth.OAuthLoginError, log_what="PagerDuty OAuth login"
    )
    if connection is None:
        return back_to_integrations()
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
    warn_missing_scopes(request, oauth.missing_scopes(connection.scope_list), provider="PagerDuty")
    return back_to_integrations()


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
        return back_to_integrations()
    return redirect(url)
