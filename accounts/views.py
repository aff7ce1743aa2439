import functools
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import once, services
from .access import get_org_for_admin, memberships_for
from .actor import Actor
from .dialogs import confirmed
from .forms import RESEND_SALT, ApiTokenForm, ConfirmEmailForm
from .models import User
from .services import InputRefused, api_token_create, api_token_revoke, api_tokens_with_problems


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
    return redirect(_same_page_after_switching(next_url) or "integrations:index")


def _same_page_after_switching(next_url: str) -> str:
    """The page the person switched on, in the organization they switched to: `next_url` itself, or,
    when it is one thing's page (its URL names an id of the old organization: a rotation, an
    incident, an endpoint), the nearest page above it that names none (/rotations/5/ → /rotations/);
    "" when there is none."""
    if not next_url:
        return ""
    segments = urlsplit(next_url).path.strip("/").split("/")
    parents = ["/" + "/".join(segments[:n]) + "/" for n in range(len(segments) - 1, 0, -1)]
    for candidate in (next_url, *parents):
        try:
            match = resolve(urlsplit(candidate).path)
        except Resolver404:
            continue
        if not match.kwargs:
            return candidate
    return ""


@login_required
def api_tokens(request):
    org = get_org_for_admin(request)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, raw = api_token_create(organization=org, created_by=request.user, **form.cleaned_data)
        except InputRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            once.keep(request, "api_token", raw)  # shown once by the GET below; a reload makes no second token
            return redirect("accounts:api_tokens")
    return _tokens_page(request, org, form)


def _tokens_page(request, org, form=None, **shown):
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form or ApiTokenForm(),
            "tokens": api_tokens_with_problems(org),
            "new_token": once.take(request, "api_token"),
            "organization": org,
            **shown,
        },
    )


@login_required
@require_POST
def api_token_delete(request, token_id: int):
    org = get_org_for_admin(request)

    def act():
        if api_token_revoke(organization=org, token_id=token_id, actor=Actor.of_request(request)):
            messages.success(request, "The API token was revoked. Scripts using it will now get 401.")
        else:
            messages.info(request, "That API token was already revoked; nothing changed.")
        return redirect("accounts:api_tokens")

    return confirmed(request, f"revoke-token-{token_id}", act, functools.partial(_tokens_page, request, org))


# Email confirmation (accounts made from an invitation link an admin saw; see services.py).


@require_http_methods(["GET", "HEAD", "POST"])  # GET only shows the page: a mail scanner confirms nothing
def confirm_email(request, uidb64: str, token: str):
    user = services.email_confirmation_user(uidb64, token)
    if user is None:
        return render(request, "accounts/confirm_email.html", {"state": "invalid"}, status=404)
    form = ConfirmEmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signed_in = authenticate(request, username=user.email, password=form.cleaned_data["password"])
        if signed_in is None or signed_in.pk != user.pk:
            form.add_error("password", "That is not the password chosen for this account.")
        else:
            services.email_confirm(user=signed_in)
            login(request, signed_in)
            messages.success(request, f"{user.email} is confirmed. Welcome to Roster.")
            return redirect("integrations:index")
    return render(request, "accounts/confirm_email.html", {"state": "confirm", "account": user, "form": form})


@require_POST
def confirm_email_resend(request):
    """From the sign-in page, after the right password for an unconfirmed account (a signed value)."""
    try:
        user_id = signing.loads(request.POST.get("token", ""), salt=RESEND_SALT, max_age=3600)
    except signing.BadSignature:
        messages.error(request, "Sign in again to ask for a new confirmation link.")
        return redirect("login")
    user = User.objects.filter(pk=user_id, email_confirmed=False).first()
    if user is None:
        messages.success(request, "This email address is already confirmed: sign in.")
    else:
        try:
            sent = services.email_confirmation_send(user=user)
        except services.RateLimited as refused:
            # The sign-in page again (not a redirect): 429 with Retry-After, the sentence where the button was.
            response = render(
                request,
                "registration/login.html",
                {"form": AuthenticationForm(request), "resend_refused": refused.message},
                status=429,
            )
            response["Retry-After"] = str(refused.retry_after)
            return response
        if sent:
            messages.success(request, f"We sent a new confirmation link to {user.email}.")
        else:
            messages.error(request, "The email could not be sent. Try again in a few minutes.")
    return redirect("login")
