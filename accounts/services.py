import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from config import limits, mail
from config.links import public_url

from .actor import Actor
from .audit import audit_record
from .models import ApiToken, Invitation, Membership, Organization, User, hash_token
from .refusal import Refusal
from .text import line_break_problem

log = logging.getLogger(__name__)

AUDIT_PROVIDER = "roster"  # the audit trail's name for changes to Roster itself (members, invitations)
# Emails to one address (config.limits): invitations per organization, confirmation links per account.
INVITATION_EMAIL_RATE = "10/hour"
CONFIRMATION_EMAIL_RATE = "10/hour"


class InputRefused(Refusal):
    """A rule refused an input; `field` names it (the service's argument name) for the form or the JSON."""


def _one_line(value: str, *, field: str, what: str) -> str:
    if problem := line_break_problem(value, what=what):
        raise InputRefused(problem, field=field)
    return value


@transaction.atomic
def organization_create(*, name: str, admin_email: str, password: str | None = None) -> Organization:
    """Create an organization and make `admin_email` its first admin. A new account gets `password`;
    an existing one is left alone (whoever runs this must not be able to take over an account)."""
    name = _one_line(name.strip(), field="name", what="An organization name")
    org = Organization.objects.create(name=name, slug=Organization.unique_slug_for(name))
    email = normalize_email(admin_email)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password)
    Membership.objects.create(user=user, organization=org, role=Membership.Role.ADMIN)
    return org


def api_token_create(
    *,
    organization: Organization,
    name: str,
    scope: str = ApiToken.Scope.READ,
    expires_in_days: int | None = None,
    created_by=None,
) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is never stored and must be shown only once.
    Without `created_by` it is an operator's token (command line): no admin's departure ends it."""
    name = _one_line((name or "").strip(), field="name", what="A token name")
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"The scope must be one of: {', '.join(ApiToken.Scope.values)}.")
    if expires_in_days is not None and expires_in_days < 1:
        raise ValueError("A token expires after at least 1 day.")
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token, raw = ApiToken.generate(
            organization=organization,
            name=name or "API token",
            scope=scope,
            expires_at=expires_at,
            created_by=created_by,
        )
        _audit_token(token, "api_token_create", "Created", Actor.person(created_by) if created_by else None)
    return token, raw


def api_token_revoke(*, organization: Organization, token_id: int, actor: Actor | None = None) -> bool:
    with transaction.atomic():
        token = ApiToken.objects.filter(organization=organization, id=token_id).first()
        if token is None:
            return False
        token.delete()
        _audit_token(token, "api_token_revoke", "Revoked", actor)
    return True


def _audit_token(token: ApiToken, action: str, done: str, actor: Actor | None) -> None:
    audit_record(
        organization=token.organization,
        provider=AUDIT_PROVIDER,
        action=action,
        actor=actor,
        summary=f"{done} the {token.scope} API token “{token.name}” (…{token.last4})",
        detail={"name": token.name, "scope": token.scope, "last4": token.last4},
    )


@dataclass(frozen=True)
class TokenProblem:
    """Why a token no longer works, in words for the API (401) and the API tokens page."""

    code: str
    message: str


def _admin_ids(organization: Organization) -> set[int]:
    admins = Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN, user__is_active=True)
    return set(admins.values_list("user_id", flat=True))


def api_token_problem(token: ApiToken, *, admin_ids: set[int] | None = None) -> TokenProblem | None:
    """None while the token works. `admin_ids` (the organization's active admins) saves a query per token."""
    if token.is_expired:
        return TokenProblem(
            "token_expired",
            f"The API token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC. Create a new one in Settings → API tokens.",
        )
    if token.by_operator:
        return None
    if admin_ids is None:
        admin_ids = _admin_ids(token.organization)
    if token.created_by_id in admin_ids:
        return None
    creator = token.created_by
    if creator is not None and not creator.is_active:
        why = f"the account of {creator.email} was deactivated"
    else:
        who = creator.email if creator else "the admin who created it"
        why = f"{who} is no longer an admin of {token.organization.name}"
    return TokenProblem(
        "token_creator_not_admin",
        f"The API token stopped working: {why}. An admin can create a new one in Settings → API tokens.",
    )


class TokenRefused(Exception):
    def __init__(self, problem: TokenProblem):
        super().__init__(problem.message)
        self.problem = problem


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The token for `raw`, or None when there is no such token; raises TokenRefused when it exists
    but no longer works (expired, or its creator is no longer an admin)."""
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("organization", "created_by").filter(token_hash=hash_token(raw)).first()
    if token is None:
        return None
    problem = api_token_problem(token)
    if problem is not None:
        raise TokenRefused(problem)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        # At most once a minute per token (the page shows it to the minute): a script's burst of
        # requests is not a burst of writes to one row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


LAST_USED_PRECISION = timedelta(minutes=1)


def api_tokens_with_problems(organization: Organization) -> list[tuple[ApiToken, TokenProblem | None]]:
    """The organization's tokens for the API tokens page, each with why it no longer works (or None)."""
    admin_ids = _admin_ids(organization)
    tokens = organization.api_tokens.select_related("created_by", "organization")
    return [(t, api_token_problem(t, admin_ids=admin_ids)) for t in tokens]


# Settings → Members: invitations and memberships. Every change is audited; no token or password is.


class MemberError(Refusal):
    """A membership rule refused the change (an invitation, a role, a removal)."""


class AlreadyMember(MemberError):
    code = "already_member"


class LastAdmin(MemberError):
    code = "last_admin"


class InvitationUnavailable(MemberError):
    """The invitation was used or has expired (an unknown token is simply not found)."""

    code = "invitation_unavailable"


class WrongAccount(MemberError):
    code = "wrong_account"


class RateLimited(MemberError):
    """Too many emails to one address: nothing was changed or sent; try again after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _email_allowed(rate: str, kind: str, *keys: str) -> None:
    """Count one email; RateLimited when over `rate` for these keys (the last is the address)."""
    refused = limits.hit(rate, kind, *keys)
    if refused:
        raise RateLimited(f"Too many emails to {keys[-1]}: try again in {refused.wait_words()}.", refused.retry_after)


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise MemberError(f"The role must be one of: {', '.join(Membership.Role.values)}.")


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    # Holds the raw token. Emailed to the invitee; shown once to the inviting admin on the page only
    # when the email could not be sent (then `invitation.link_shown`). Never returned by the API.
    accept_url: str
    emailed: bool


def invitation_create(
    *, organization: Organization, email: str, role: str, actor: Actor | None = None
) -> NewInvitation:
    """Invite `email` to the organization (a pending invitation for it gets a new link and expiry) and email the link.
    RateLimited (nothing changed) after INVITATION_EMAIL_RATE invitations to the address from this organization."""
    email = normalize_email(email)
    _check_role(role)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise AlreadyMember(f"{email} is already a member of {organization.name}.")
    # Before the new link replaces the old: a refused re-send leaves the emailed link working.
    _email_allowed(INVITATION_EMAIL_RATE, "invitation-email", str(organization.pk), email)
    raw, token_hash = Invitation.new_token()
    invited_by = actor.user if actor else None
    expires_at = timezone.now() + timedelta(days=settings.ROSTER_INVITATION_DAYS)
    with transaction.atomic():
        invitation, created = Invitation.objects.update_or_create(
            organization=organization,
            email=email,
            accepted_at=None,
            defaults={
                "role": role,
                "token_hash": token_hash,
                "invited_by": invited_by,
                "expires_at": expires_at,
                "link_shown": False,
            },
        )
        audit_record(
            organization=organization,
            provider=AUDIT_PROVIDER,
            action="invitation_create" if created else "invitation_resend",
            actor=actor,
            summary=f"{'Invited' if created else 'Re-sent the invitation to'} {email} as {invitation.get_role_display().lower()}",
            detail={"email": email, "role": role, "invitation_id": invitation.pk},
        )
    url = public_url("accounts:invitation", raw)
    emailed = _invitation_email(invitation, url)
    if not emailed:
        # The admin will see the link: an account made from it must still prove it reads this mailbox.
        Invitation.objects.filter(pk=invitation.pk).update(link_shown=True)
        invitation.link_shown = True
    return NewInvitation(invitation=invitation, accept_url=url, emailed=emailed)


def _send(*, to: str, subject: str, template: str, context: dict, what: str) -> bool:
    """Send one email; False (logged without its content) when it could not be sent."""
    try:
        mail.email(subject=subject, body=render_to_string(template, context), to=to).send()
    except Exception as exc:  # noqa: BLE001  (a mail outage must not lose the invitation or the account)
        log.warning("Could not email %s: %s", what, type(exc).__name__)
        return False
    return True


def _invitation_email(invitation: Invitation, url: str) -> bool:
    return _send(
        to=invitation.email,
        subject=f"Join {invitation.organization.name} on Roster",
        template="accounts/email/invitation.txt",
        context={"invitation": invitation, "organization": invitation.organization, "url": url},
        what=f"invitation {invitation.pk}",
    )


def invitation_revoke(
    *, organization: Organization, invitation_id: int, actor: Actor | None = None
) -> Invitation | None:
    """The revoked invitation (its link stops working), or None when this organization has no such pending one."""
    with transaction.atomic():
        invitation = Invitation.objects.pending().filter(organization=organization, pk=invitation_id).first()
        if invitation is None:
            return None
        invitation.delete()
        audit_record(
            organization=organization,
            provider=AUDIT_PROVIDER,
            action="invitation_revoke",
            actor=actor,
            summary=f"Revoked the invitation to {invitation.email}",
            detail={"email": invitation.email, "invitation_id": invitation_id},
        )
    return invitation


def invitation_for_token(raw_token: str) -> Invitation | None:
    if not raw_token:
        return None
    return Invitation.objects.select_related("organization").filter(token_hash=hash_token(raw_token)).first()


def _unavailable(invitation: Invitation, why: str) -> InvitationUnavailable:
    name = invitation.organization.name
    return InvitationUnavailable(f"This invitation {why}. Ask an admin of {name} to invite you again.")


def invitation_check(invitation: Invitation) -> None:
    """Raises InvitationUnavailable when the invitation can no longer be accepted."""
    if invitation.accepted_at is not None:
        raise _unavailable(invitation, "was already used")
    if invitation.is_expired:
        raise _unavailable(invitation, "has expired")


def _invitation_claim(invitation: Invitation) -> None:
    """Mark the invitation used, once: call inside a transaction. A concurrent claim waits for this
    one's row lock, then matches no row (already used) and raises InvitationUnavailable."""
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=now).update(
        accepted_at=now
    )
    if not claimed:
        current = Invitation.objects.select_related("organization").filter(pk=invitation.pk).first()
        if current is not None:
            invitation_check(current)
        raise _unavailable(invitation, "was revoked")


def _invitation_join(invitation: Invitation, user: User) -> Membership:
    """After a successful claim: the membership with the invited role (an existing one is kept)."""
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    if created:
        audit_record(
            organization=invitation.organization,
            provider=AUDIT_PROVIDER,
            action="invitation_accept",
            actor=Actor.person(user),
            summary=f"{user.email} joined as {membership.get_role_display().lower()}",
            detail={"email": user.email, "role": membership.role, "invitation_id": invitation.pk},
        )
    return membership


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The signed-in invited person joins. Single use: a second call raises InvitationUnavailable."""
    invitation_check(invitation)
    if normalize_email(user.email) != invitation.email:
        raise WrongAccount(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
            "Sign out, then open the link again."
        )
    with transaction.atomic():
        _invitation_claim(invitation)
        return _invitation_join(invitation, user)


def invitation_accept_new_user(
    *, invitation: Invitation, first_name: str, last_name: str = "", password: str
) -> Membership:
    """Create the invited person's account (validated password) and their membership."""
    invitation_check(invitation)
    first_name = _one_line(first_name.strip(), field="first_name", what="A first name")
    last_name = _one_line(last_name.strip(), field="last_name", what="A last name")
    user = User(email=invitation.email, first_name=first_name, last_name=last_name)
    password_validation.validate_password(password, user)
    with transaction.atomic():
        _invitation_claim(invitation)  # first, so a double submit fails here instead of on the user's email
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise WrongAccount(f"An account for {invitation.email} already exists. Sign in, then open the link again.")
        user.set_password(password)
        # Whoever used a link an admin saw has not shown they read this mailbox: they confirm first.
        user.email_confirmed = not invitation.link_shown
        user.save()
        membership = _invitation_join(invitation, user)
    if not user.email_confirmed:
        try:
            email_confirmation_send(user=user)
        except RateLimited:
            pass  # the sign-in page offers to send it again
    return membership


# Email confirmation: an account made from a link an admin saw signs in only after its owner follows
# the link emailed to the address, and gives the password chosen for it (so a link forwarded to, or
# clicked by, someone who did not set that password confirms nothing).


class _EmailConfirmationTokens(PasswordResetTokenGenerator):
    key_salt = "accounts.services.EmailConfirmation"

    def _make_hash_value(self, user, timestamp):
        # Changes once confirmed (single use) or when the password or address changes.
        return f"{user.pk}{user.password}{user.email}{user.email_confirmed}{timestamp}"


email_confirmation_tokens = _EmailConfirmationTokens()


def email_confirmation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return public_url("accounts:confirm_email", uid, email_confirmation_tokens.make_token(user))


def email_confirmation_send(*, user: User) -> bool:
    """Email the confirmation link to an unconfirmed account; False when it could not be sent,
    RateLimited after CONFIRMATION_EMAIL_RATE links to its address."""
    if user.email_confirmed:
        return False
    _email_allowed(CONFIRMATION_EMAIL_RATE, "confirmation-email", normalize_email(user.email))
    return _send(
        to=user.email,
        subject="Confirm your email address for Roster",
        template="accounts/email/confirm_email.txt",
        context={"user": user, "url": email_confirmation_url(user)},
        what=f"the confirmation link of user {user.pk}",
    )


def email_confirmation_user(uidb64: str, token: str) -> User | None:
    """The unconfirmed account the link is for, or None when the link does not work (any more)."""
    try:
        user = User.objects.filter(pk=int(urlsafe_base64_decode(uidb64).decode())).first()
    except (ValueError, UnicodeDecodeError):
        return None
    if user is None or user.email_confirmed or not email_confirmation_tokens.check_token(user, token):
        return None
    return user


def email_confirm(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(email_confirmed=True)
    user.email_confirmed = True


def _locked_membership(organization: Organization, user_id: int) -> tuple[Membership | None, int]:
    """Call inside a transaction. Locks the organization's admin rows (in id order, so concurrent role
    changes queue instead of deadlocking), then the member's row; returns it and the number of admins
    who can sign in. Two admins demoting each other at once: the second waits, then counts one and is refused."""
    admins = (
        Membership.objects.select_for_update(of=("self",))
        .filter(organization=organization, role=Membership.Role.ADMIN, user__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    admin_count = len(list(admins))
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(organization=organization, user__pk=user_id)  # not user_id: an id past the column's range matches none
        .first()
    )
    return membership, admin_count


@transaction.atomic
def membership_add(*, organization: Organization, user: User, role: str, actor: Actor | None = None) -> Membership:
    """Someone joins without an invitation: support staff add them in Django admin."""
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    audit_record(
        organization=organization,
        provider=AUDIT_PROVIDER,
        action="member_add",
        actor=actor,
        summary=f"Added {user.email} as {membership.get_role_display().lower()}",
        detail={"email": user.email, "role": role},
    )
    return membership


def _refuse_losing_the_last_admin(membership: Membership, admin_count: int, doing: str) -> None:
    if membership.is_admin and membership.user.is_active and admin_count <= 1:
        name = membership.organization.name
        raise LastAdmin(f"You cannot {doing} the last admin of {name}. Make someone else an admin first.")


def account_deactivated(*, user: User, actor: Actor | None = None) -> list[Organization]:
    """After support staff deactivated `user`: the organizations that have no admin who can sign in
    now, each with an audit event. Deactivating stays allowed, unlike removing the last admin: it is
    how a stolen account is stopped."""
    left = [
        membership.organization
        for membership in user.memberships.filter(role=Membership.Role.ADMIN).select_related("organization")
        if not Membership.objects.filter(
            organization=membership.organization, role=Membership.Role.ADMIN, user__is_active=True
        ).exists()
    ]
    for organization in left:
        audit_record(
            organization=organization,
            provider=AUDIT_PROVIDER,
            action="admin_deactivated",
            actor=actor,
            summary=f"Deactivated {user.email}, the last active admin",
            detail={"email": user.email},
        )
    return left


def membership_change_role(
    *, organization: Organization, user_id: int, role: str, actor: Actor | None = None
) -> Membership | None:
    """None when the user is not a member of this organization."""
    _check_role(role)
    with transaction.atomic():
        membership, admin_count = _locked_membership(organization, user_id)
        if membership is None or membership.role == role:
            return membership
        if role != Membership.Role.ADMIN:
            _refuse_losing_the_last_admin(membership, admin_count, "demote")
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            organization=organization,
            provider=AUDIT_PROVIDER,
            action="member_role_change",
            actor=actor,
            summary=f"Made {membership.user.email} {membership.get_role_display().lower()}",
            detail={"email": membership.user.email, "role": role},
        )
    return membership


def membership_remove(*, organization: Organization, user_id: int, actor: Actor | None = None) -> Membership | None:
    """Removes the membership only: the person keeps their account and other organizations.
    Returns the removed membership, or None when the user is not a member of this organization."""
    with transaction.atomic():
        membership, admin_count = _locked_membership(organization, user_id)
        if membership is None:
            return None
        _refuse_losing_the_last_admin(membership, admin_count, "remove")
        membership.delete()
        audit_record(
            organization=organization,
            provider=AUDIT_PROVIDER,
            action="member_remove",
            actor=actor,
            summary=f"Removed {membership.user.email}",
            detail={"email": membership.user.email, "role": membership.role},
        )
    return membership
