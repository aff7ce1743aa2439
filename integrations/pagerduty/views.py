"""Settings → Integrations → PagerDuty: thin views over services.py. Every action is a POST form;
a GET shows the page with the matching dialog open, so everything works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from accounts.access import get_org_for_admin
from accounts.actor import Actor
from integrations.views import redirect_to_dialog, render_integrations_page

from . import client as pd
from . import services, views_oauth
from .credentials import UNAUTHORIZED_HELP, DifferentAccount
from .forms import DisconnectForm, connect_form, rotate_form, switch_key_form
from .models import PagerDutyConnection
from .selectors import get_connection


def _error_text(error: pd.PagerDutyError) -> str:
    if isinstance(error, pd.Unauthorized):
        return f"{error.message}. {UNAUTHORIZED_HELP}"
    return f"{error.message} Nothing was saved."


def _key_form_view(request, *, dialog: str, form_name: str, make_form, action):
    org = get_org_for_admin(request)
    if request.method == "GET":
        return redirect_to_dialog(dialog)
    form = make_form(request.POST)
    if form.is_valid():
        try:
            action(org, form.cleaned_data)
        except pd.PagerDutyError as error:
            # A refused key is the key field's error (shown beside it, focused); the rest are the form's.
            form.add_error("api_key" if isinstance(error, pd.Unauthorized) else None, _error_text(error))
        except (services.NotConnected, DifferentAccount) as error:
            form.add_error(None, error.message)
        else:
            return redirect("integrations:index")
    return render_integrations_page(request, open_dialog=dialog, extra={form_name: form})


@login_required
@require_http_methods(["GET", "POST"])
def connect(request):
    def action(org, data):
        connection = services.connection_connect_api_key(
            organization=org, api_key=data["api_key"], region=data["region"], actor=Actor.of_request(request)
        )
        messages.success(request, f"PagerDuty connected as {connection.display_name}.")

    return _key_form_view(
        request, dialog="pagerduty-connect-key", form_name="pd_connect_form", make_form=connect_form, action=action
    )


@login_required
@require_http_methods(["GET", "POST"])
def rotate_key(request):
    def action(org, data):
        connection = services.connection_rotate_api_key(
            organization=org, api_key=data["api_key"], region=data["region"], actor=Actor.of_request(request)
        )
        messages.success(request, f"API key updated; now using the key ending in {connection.key_last4}.")

    return _key_form_view(
        request, dialog="pagerduty-rotate", form_name="pd_rotate_form", make_form=rotate_form, action=action
    )


@login_required
@require_http_methods(["GET", "POST"])
def switch_api_key(request):
    """Switch to API key: an OAuth connection's credentials replaced in place, rotations kept."""

    def action(org, data):
        connection = services.connection_rotate_api_key(
            organization=org, api_key=data["api_key"], region=data["region"], actor=Actor.of_request(request)
        )
        messages.success(
            request,
            f"Switched to the REST API key ending in {connection.key_last4}. Rotations keep following their "
            "PagerDuty schedules; Roster deleted its OAuth tokens.",
        )

    return _key_form_view(
        request,
        dialog="pagerduty-switch-api-key",
        form_name="pd_switch_key_form",
        make_form=switch_key_form,
        action=action,
    )


@login_required
@require_http_methods(["GET", "POST"])
def disconnect(request):
    org = get_org_for_admin(request)
    if request.method == "GET":
        return redirect_to_dialog("pagerduty-disconnect")
    form = DisconnectForm(request.POST)
    if not form.is_valid():
        return render_integrations_page(request, open_dialog="pagerduty-disconnect", extra={"pd_disconnect_form": form})
    notes = services.connection_disconnect(organization=org, actor=Actor.of_request(request))
    if notes is None:
        messages.info(request, "PagerDuty was already disconnected.")
    else:
        said = "".join(f" {note[0].upper()}{note[1:]}." for note in notes)
        messages.success(request, f"PagerDuty disconnected; Roster deleted its credentials.{said}")
    return redirect("integrations:index")


@login_required
@require_http_methods(["POST"])
def refresh(request):
    """Refresh Connection: check the stored credentials again (OAuth runs the login flow instead)."""
    org = get_org_for_admin(request)
    connection = get_connection(org)
    if connection is None:
        messages.error(request, services.NotConnected.message)
        return redirect("integrations:index")
    if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        return views_oauth.refresh_with_login(request, connection)
    try:
        services.connection_revalidate(connection=connection, actor=Actor.of_request(request))
    except pd.PagerDutyError as error:
        if error.permanent:
            messages.error(request, f"PagerDuty refused the stored credentials: {_error_text(error)}")
        else:
            messages.warning(request, f"Could not check the connection: {error.message} Roster retries automatically.")
    else:
        messages.success(request, "Connection refreshed: PagerDuty accepted the credentials.")
    return redirect("integrations:index")
