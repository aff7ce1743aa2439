"""Settings → Integrations → PagerDuty: thin views over services.py. Every action is a POST form;
a GET shows the page with the matching dialog open, so everything works without JavaScript."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from accounts.actor import Actor
from accounts.dialogs import ConfirmForm
from integrations.views import back_to_integrations, dialog_view, disconnect_view, refresh_view

from . import client as pd
from . import services, views_oauth
from .credentials import UNAUTHORIZED_HELP, DifferentAccount
from .forms import connect_form, rotate_form, switch_key_form
from .models import PagerDutyConnection
from .selectors import get_connection


def _error_text(error: pd.PagerDutyError) -> str:
    if isinstance(error, pd.Unauthorized):
        return f"{error.message}. {UNAUTHORIZED_HELP}"
    return f"{error.message} Nothing was saved."


def key_dialog(dialog: str, form_name: str, make_form, service):
    """A dialog that saves a REST API key with `service` (validated at PagerDuty first); the decorated
    function says what the page shows once it is saved, from the connection."""

    def decorator(said):
        @login_required
        @require_http_methods(["GET", "POST"])
        @functools.wraps(said)
        def view(request):
            def act(org, form):
                data = form.cleaned_data
                try:
                    connection = service(
                        organization=org,
                        api_key=data["api_key"],
                        region=data["region"],
                        actor=Actor.of_request(request),
                    )
                except pd.PagerDutyError as error:
                    # A refused key is the key field's error (shown beside it, focused); the rest are the form's.
                    form.add_error("api_key" if isinstance(error, pd.Unauthorized) else None, _error_text(error))
                except services.NotConnected as error:  # disconnected while the dialog was open
                    messages.error(request, error.message)
                    return back_to_integrations()
                except DifferentAccount as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, said(connection))
                    return back_to_integrations()
                return None

            return dialog_view(request, dialog=dialog, form_name=form_name, make_form=make_form, act=act)

        return view

    return decorator


@key_dialog("pagerduty-connect-key", "pd_connect_form", connect_form, services.connection_connect_api_key)
def connect(connection):
    return f"PagerDuty connected as {connection.display_name}."


@key_dialog("pagerduty-rotate", "pd_rotate_form", rotate_form, services.connection_rotate_api_key)
def rotate_key(connection):
    return f"API key updated; now using the key ending in {connection.key_last4}."


@key_dialog("pagerduty-switch-api-key", "pd_switch_key_form", switch_key_form, services.connection_rotate_api_key)
def switch_api_key(connection):
    """Switch to API key: an OAuth connection's credentials replaced in place, rotations kept."""
    return (
        f"Switched to the REST API key ending in {connection.key_last4}. Rotations keep following their "
        "PagerDuty schedules; Roster deleted its OAuth tokens."
    )


@login_required
@require_http_methods(["GET", "POST"])
def disconnect(request):
    def run(org, actor):
        notes = services.connection_disconnect(organization=org, actor=actor)
        if notes is None:
            messages.info(request, "PagerDuty was already disconnected.")
        else:
            said = "".join(f" {note[0].upper()}{note[1:]}." for note in notes)
            messages.success(request, f"PagerDuty disconnected; Roster deleted its credentials.{said}")

    return disconnect_view(
        request,
        dialog="pagerduty-disconnect",
        form_name="pd_disconnect_form",
        form_class=ConfirmForm,
        disconnect=run,
    )


@login_required
@require_http_methods(["POST"])
def refresh(request):
    """Refresh Connection: check the stored credentials again (OAuth runs the login flow instead)."""

    def check(connection):
        if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
            return views_oauth.refresh_with_login(request, connection)
        try:
            services.connection_revalidate(connection=connection, actor=Actor.of_request(request))
        except pd.PagerDutyError as error:
            if error.permanent:
                messages.error(request, f"PagerDuty refused the stored credentials: {_error_text(error)}")
            else:
                retries = (
                    " Roster retries automatically." if connection.status == PagerDutyConnection.Status.ACTIVE else ""
                )
                messages.warning(request, f"Could not check the connection: {error.message}{retries}")
        else:
            messages.success(request, "Connection refreshed: PagerDuty accepted the credentials.")
        return None

    return refresh_view(
        request, get_connection=get_connection, not_connected=services.NotConnected.message, refresh=check
    )
