from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import get_org_for_member, is_admin

from . import registry


def render_integrations_page(request, *, open_dialog: str = "", extra: dict | None = None, status: int = 200):
    """The Settings → Integrations page. `open_dialog` names a dialog to render open (no-JS and error paths)."""
    org = get_org_for_member(request)
    dialog = open_dialog or request.GET.get("dialog", "")
    shared = {"can_manage": is_admin(request), "open_dialog": dialog, **(extra or {})}
    cards = [registry.render_card(request, org, p, shared) for p in registry.providers()]
    return render(
        request,
        "integrations/index.html",
        {"organization": org, "cards": cards, "can_manage": shared["can_manage"]},
        status=status,
    )


def redirect_to_dialog(dialog: str):
    """Back to Settings → Integrations with a provider's dialog open (GET on a dialog's POST URL, no-JS)."""
    return redirect(f"{reverse('integrations:index')}?dialog={dialog}")


@login_required
def index(request):
    return render_integrations_page(request)
