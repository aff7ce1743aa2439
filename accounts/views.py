from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import once
from .access import get_org_for_admin, memberships_for
from .forms import ApiTokenForm
from .services import api_token_create, api_token_revoke


@login_required
@require_POST
def switch_organization(request):
    wanted = request.POST.get("organization_id", "")
    for m in memberships_for(request.user):
        if str(m.organization_id) == wanted:
            request.session["organization_id"] = m.organization_id
            break
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return redirect(next_url or "integrations:index")


@login_required
def api_tokens(request):
    org = get_org_for_admin(request)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, raw = api_token_create(organization=org, name=form.cleaned_data["name"], created_by=request.user)
        once.keep(request, "api_token", raw)  # shown once by the GET below; a reload makes no second token
        return redirect("accounts:api_tokens")
    tokens = org.api_tokens.select_related("created_by")
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": once.take(request, "api_token"), "organization": org},
    )


@login_required
@require_POST
def api_token_delete(request, token_id: int):
    org = get_org_for_admin(request)
    if api_token_revoke(organization=org, token_id=token_id):
        messages.success(request, "The API token was revoked. Scripts using it will now get 401.")
    return redirect("accounts:api_tokens")
