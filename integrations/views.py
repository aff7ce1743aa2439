from django.contrib.auth.decorators import login_required
from django.shortcuts import render

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


@login_required
def index(request):
    return render_integrations_page(request)
