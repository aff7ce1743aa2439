"""Settings → Integrations, and the views every provider's dialogs are made of (see CONTRIBUTING.md,
"Adding a provider"): `dialog_view` for a dialog's POST, `disconnect_view` and `refresh_view`."""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import get_org_for_admin, get_org_for_member, is_admin
from accounts.actor import Actor
from accounts.dialogs import dialog_post

from . import registry

log = logging.getLogger(__name__)


def render_integrations_page(request, *, open_dialog: str = "", extra: dict | None = None, status: int = 200):
    """The Settings → Integrations page. `open_dialog` names a dialog to render open (no-JS and error paths)."""
    org = get_org_for_member(request)
    dialog = open_dialog or request.GET.get("dialog", "")
    shared = {"can_manage": is_admin(request), "open_dialog": dialog, **(extra or {})}
    cards = [registry.render_card(request, org, p, shared) for p in registry.providers()]
    response = render(
        request,
        "integrations/index.html",
        {"organization": org, "cards": cards, "can_manage": shared["can_manage"]},
        status=status,
    )
    # CSP form-action 'self' would stop a sign-in form's redirect to the provider's authorize page.
    response._csp_update = {"form-action": sign_in_origins()}  # type: ignore[attr-defined]
    return response


def sign_in_origins() -> list[str]:
    """The origins (scheme://host[:port]) every provider's sign-in forms may redirect to."""
    origins = set()
    for provider in registry.providers():
        for url in provider.sign_in_urls() if provider.sign_in_urls else []:
            parts = urlsplit(url)
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def back_to_integrations():
    return redirect("integrations:index")


def dialog_view(request, *, dialog: str, form_name: str, make_form: Callable, act: Callable):
    """A provider dialog's POST (accounts.dialogs.dialog_post on Settings → Integrations): the card
    template reads the bound form with its errors as `form_name`."""
    return dialog_post(
        request,
        page_url=reverse("integrations:index"),
        dialog=dialog,
        make_form=make_form,
        act=act,
        render_open=lambda org, form: render_integrations_page(request, open_dialog=dialog, extra={form_name: form}),
    )


def disconnect_view(request, *, dialog: str, form_name: str, form_class, disconnect: Callable[[object, Actor], None]):
    """The Disconnect dialog's POST: `disconnect(org, actor)` runs the provider's service and says the outcome."""

    def act(org, form):
        disconnect(org, Actor.of_request(request))
        return back_to_integrations()

    return dialog_view(request, dialog=dialog, form_name=form_name, make_form=form_class, act=act)


def refresh_view(request, *, get_connection: Callable, not_connected: str, refresh: Callable):
    """Refresh Connection: `refresh(connection)` checks the stored credentials again and says the
    outcome (or returns a response of its own, e.g. a sign-in); not connected is an error message."""
    connection = get_connection(get_org_for_admin(request))
    if connection is None:
        messages.error(request, not_connected)
        return back_to_integrations()
    return refresh(connection) or back_to_integrations()


def finish_sign_in(request, *, finish: Callable, error_type: type[Exception], log_what: str):
    """A provider's OAuth redirect back: `finish(organization=, user=, params=, session=)` checks the
    pending login, saves the connection and returns it; its `error_type` (with `message` and `code`)
    is said to the admin and logged, and gives None."""
    org = get_org_for_admin(request)
    try:
        return finish(organization=org, user=request.user, params=request.GET, session=request.session)
    except error_type as error:
        log.info("%s for organization %s failed: %s", log_what, org.pk, getattr(error, "code", ""))
        messages.error(request, getattr(error, "message", str(error)))
        return None


def warn_missing_scopes(request, missing: list[str], *, provider: str, scopes: str = "scopes") -> None:
    if missing:
        messages.warning(request, f"{provider} did not grant the {scopes} Roster needs: {', '.join(missing)}.")


@login_required
def index(request):
    return render_integrations_page(request)
