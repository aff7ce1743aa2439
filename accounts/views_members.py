"""Settings → Members and the invitation accept page: thin views over services.py. Every change is a
POST form; a GET of an action shows the members page with its dialog open, so all works without JS."""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from . import once, selectors, services
from .access import get_org_for_admin, get_org_for_member, is_admin, memberships_for
from .actor import Actor
from .dialogs import confirmed, dialog_post
from .forms import InviteForm, JoinForm, RoleForm
from .models import Membership, User


def _members_page(request, org, *, invite_form=None, open_dialog: str = "", confirm_form=None):
    return render(
        request,
        "accounts/members.html",
        {
            "organization": org,
            "can_manage": is_admin(request),
            "members": selectors.organization_members(org),
            "invitations": selectors.pending_invitations(org),
            "invite_form": invite_form or InviteForm(),
            "role_choices": Membership.Role.choices,
            "new_invitation": _new_invitation(request),
            "open_dialog": open_dialog or request.GET.get("dialog", ""),
            "confirm_form": confirm_form,
            "invitation_days": settings.ROSTER_INVITATION_DAYS,
        },
    )


def _new_invitation(request) -> dict | None:
    """The link of the invitation just created, once (see once.py)."""
    kept = once.take(request, "invitation")
    return {**kept, "expires_at": parse_datetime(kept["expires_at"])} if kept else None


@login_required
def members(request):
    return _members_page(request, get_org_for_member(request))


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request):
    def act(org, form):
        try:
            new = services.invitation_create(organization=org, actor=Actor.of_request(request), **form.cleaned_data)
        except services.RateLimited as refused:
            # The dialog again, the sentence beside the address, answered 429 with Retry-After.
            form.add_error("email", refused.message)
            response = _members_page(request, org, invite_form=form, open_dialog="invite")
            response.status_code = 429
            response["Retry-After"] = str(refused.retry_after)
            return response
        except services.MemberError as error:
            form.add_error("email", error.message)
            return None
        email = new.invitation.email
        if new.emailed:
            # The link goes to the mailbox only: whoever opens it shows they control the address.
            messages.success(request, f"Invitation emailed to {email}.")
            waiting = once.take(request, "invitation")
            if waiting and waiting["email"] != email:  # another invitation's link: still to be shown
                once.keep(request, "invitation", waiting)
        else:
            messages.warning(request, f"The email to {email} could not be sent: copy the link below to them.")
            # Shown once by the page this redirects to (a reload cannot re-send the invitation); an
            # account created from it must confirm its address by email before it can sign in.
            once.keep(
                request,
                "invitation",
                {"email": email, "url": new.accept_url, "expires_at": new.invitation.expires_at.isoformat()},
            )
        return redirect("accounts:members")

    return dialog_post(
        request,
        page_url=reverse("accounts:members"),
        dialog="invite",
        make_form=InviteForm,
        act=act,
        render_open=lambda org, form: _members_page(request, org, invite_form=form, open_dialog="invite"),
    )


def member_action(dialog: str, confirm: bool = False):
    """A POST action of Settings → Members (admins): `action(request, org, **ids)` returns the success
    message, or None when the row is not this organization's (404). A GET opens `dialog` instead.
    With `confirm`, only once its box is ticked."""

    def decorator(action):
        @login_required
        @require_http_methods(["GET", "POST"])
        @functools.wraps(action)
        def view(request, **ids):
            org = get_org_for_admin(request)
            if request.method == "GET":
                return redirect(f"{reverse('accounts:members')}?dialog={dialog.format(**ids)}")

            def act():
                try:
                    done = action(request, org, **ids)
                except services.MemberError as error:
                    messages.error(request, error.message)
                    return redirect("accounts:members")
                if done is None:
                    raise Http404("No such member or invitation in this organization.")
                messages.success(request, done)
                return redirect("accounts:members")

            page = functools.partial(_members_page, request, org)
            return confirmed(request, dialog.format(**ids), act, page) if confirm else act()

        return view

    return decorator


@member_action("role-{user_id}")
def member_role(request, org, user_id: int):
    form = RoleForm(request.POST)
    if not form.is_valid():
        raise services.MemberError("Choose a role: admin or member.")
    role = form.cleaned_data["role"]
    membership = services.membership_change_role(
        organization=org, user_id=user_id, role=role, actor=Actor.of_request(request)
    )
    return membership and f"{membership.user.email} is now {membership.get_role_display().lower()}."


@member_action("remove-{user_id}", confirm=True)
def member_remove(request, org, user_id: int):
    membership = services.membership_remove(organization=org, user_id=user_id, actor=Actor.of_request(request))
    return membership and f"{membership.user.email} was removed from {org.name}."


@member_action("revoke-{invitation_id}", confirm=True)
def invitation_revoke(request, org, invitation_id: int):
    invitation = services.invitation_revoke(
        organization=org, invitation_id=invitation_id, actor=Actor.of_request(request)
    )
    return invitation and f"The invitation to {invitation.email} was revoked; its link no longer works."


def _joined(request, membership: Membership):
    request.session["organization_id"] = membership.organization_id
    messages.success(request, f"Welcome to {membership.organization.name}.")
    return redirect("integrations:index")


@require_http_methods(["GET", "HEAD", "POST"])  # HEAD: mail scanners check links; a 405 would log the token
def invitation(request, token: str):
    """The link in the invitation email. Pages about a usable invitation answer 200, so Django's
    request log (it logs the path of every 4xx) never records a token that still works."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation.html", {"state": "unknown"}, status=404)

    def page(state: str, status: int = 200, **extra):
        context = {"invitation": invitation, "organization": invitation.organization, "state": state, **extra}
        return render(request, "accounts/invitation.html", context, status=status)

    user = request.user
    if user.is_authenticated and invitation.accepted_by_id == user.pk:  # they joined with it, and opened it again
        membership = memberships_for(user).filter(organization=invitation.organization).first()
        if membership is not None:
            return _joined(request, membership)
    try:
        services.invitation_check(invitation)
    except services.InvitationUnavailable as error:
        return page("gone", 410, error=error.message)
    if user.is_authenticated:
        if services.normalize_email(user.email) != invitation.email:
            return page("wrong_account")
        if request.method == "POST":
            try:
                membership = services.invitation_accept(invitation=invitation, user=user)
            except services.MemberError as error:
                return page("gone", 410, error=error.message)
            return _joined(request, membership)
        return page("join")
    if User.objects.filter(email__iexact=invitation.email).exists():
        return page("sign_in", login_url=f"{reverse('login')}?{urlencode({'next': request.path})}")
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept_new_user(invitation=invitation, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("password", error)
        except services.InputRefused as refused:
            form.add_error(refused.field, refused.message)
        except services.MemberError as error:
            form.add_error(None, error.message)
        else:
            if not membership.user.email_confirmed:
                return page("confirm_email")
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return _joined(request, membership)
    return page("sign_up", form=form)
