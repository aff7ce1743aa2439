import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations.audit import audit_record

from .models import ApiToken, Invitation, Membership, Organization, User, hash_token

log = logging.getLogger(__name__)

AUDIT_PROVIDER = "roster"  # the audit trail's name for changes to Roster itself (members, invitations)


@transaction.atomic
def organization_create(*, name: str, admin_email: str, password: str | None = None) -> Organization:
    """Create an organization and make `admin_email` its first admin (creating the user if new)."""
    org = Organization.objects.create(name=name, slug=Organization.unique_slug_for(name))
    email = admin_email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=org, role=Membership.Role.ADMIN)
    return org


def api_token_create(*, organization: Organization, name: str, created_by=None) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is never stored and must be shown only once."""
    return ApiToken.generate(organization=organization, name=name or "API token", created_by=created_by)


def api_token_revoke(*, organization: Organization, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(organization=organization, id=token_id).delete()
    return bool(deleted)


def api_token_authenticate(raw: str) -> ApiToken | None:
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("organization").filter(token_hash=hash_token(raw)).first()
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# Settings → Members: invitations and memberships. Every change is audited; no token or password is.


class MemberError(Exception):
    """A rule refused the change; `message` says why in words for the page and the API."""

    code = "invalid_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyMember(MemberError):
    code = "already_member"


class LastAdmin(MemberError):
    code = "last_admin"


class InvitationUnavailable(MemberError):
    """The invitation was used or has expired (an unknown token is simply not found)."""

    code = "invitation_unavailable"


class WrongAccount(MemberError):
    code = "wrong_account"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def invitation_accept_url(raw_token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("accounts:invitation", args=[raw_token])


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    accept_url: str  # holds the raw token: show it once to the admin who invited, never store it
    emailed: bool


def invitation_create(*, organization: Organization, email: str, role: str, actor=None) -> NewInvitation:
    """Invite `email` to the organization (a pending invitation for it gets a new link and expiry) and email the link."""
    email = normalize_email(email)
    if role not in Membership.Role.values:
        raise MemberError(f"The role must be one of: {', '.join(Membership.Role.values)}.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise AlreadyMember(f"{email} is already a member of {organization.name}.")
    raw, token_hash = Invitation.new_token()
    invited_by = actor if getattr(actor, "is_authenticated", False) else None
    expires_at = timezone.now() + timedelta(days=settings.ROSTER_INVITATION_DAYS)
    with transaction.atomic():
        invitation, created = Invitation.objects.update_or_create(
            organization=organization,
            email=email,
            accepted_at=None,
            defaults={"role": role, "token_hash": token_hash, "invited_by": invited_by, "expires_at": expires_at},
        )
        audit_record(
            organization=organization,
            provider=AUDIT_PROVIDER,
            action="invitation_create" if created else "invitation_resend",
            actor=actor,
            summary=f"{'Invited' if created else 'Re-sent the invitation to'} {email} as {invitation.get_role_display().lower()}",
            detail={"email": email, "role": role, "invitation_id": invitation.pk},
        )
    url = invitation_accept_url(raw)
    return NewInvitation(invitation=invitation, accept_url=url, emailed=_invitation_email(invitation, url))


def _invitation_email(invitation: Invitation, url: str) -> bool:
    context = {"invitation": invitation, "organization": invitation.organization, "url": url}
    try:
        send_mail(
            subject=f"Join {invitation.organization.name} on Roster",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception as exc:  # noqa: BLE001  (a mail outage must not lose the invitation: the admin copies the link)
        log.warning("Could not email invitation %s: %s", invitation.pk, type(exc).__name__)
        return False
    return True


def invitation_revoke(*, organization: Organization, invitation_id: int, actor=None) -> Invitation | None:
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


def invitation_check(invitation: Invitation) -> None:
    """Raises InvitationUnavailable when the invitation can no longer be accepted."""
    name = invitation.organization.name
    if invitation.accepted_at is not None:
        raise InvitationUnavailable(f"This invitation was already used. Ask an admin of {name} to invite you again.")
    if invitation.is_expired:
        raise InvitationUnavailable(f"This invitation has expired. Ask an admin of {name} to invite you again.")


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
        raise InvitationUnavailable(
            f"This invitation was revoked. Ask an admin of {invitation.organization.name} to invite you again."
        )


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
            actor=user,
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
    user = User(email=invitation.email, first_name=first_name.strip(), last_name=last_name.strip())
    password_validation.validate_password(password, user)
    with transaction.atomic():
        _invitation_claim(invitation)  # first, so a double submit fails here instead of on the user's email
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise WrongAccount(f"An account for {invitation.email} already exists. Sign in, then open the link again.")
        user.set_password(password)
        user.save()
        return _invitation_join(invitation, user)


def _locked_membership(organization: Organization, user_id: int) -> tuple[Membership | None, int]:
    """Call inside a transaction. Locks the organization's admin rows (in id order, so concurrent role
    changes queue instead of deadlocking), then the member's row; returns it and the number of admins.
    Two admins demoting each other at once: the second waits, then counts one admin and is refused."""
    admins = (
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Membership.Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    admin_count = len(list(admins))
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(organization=organization, user_id=user_id)
        .first()
    )
    return membership, admin_count


def _refuse_losing_the_last_admin(membership: Membership, admin_count: int, doing: str) -> None:
    if membership.is_admin and admin_count <= 1:
        name = membership.organization.name
        raise LastAdmin(f"You cannot {doing} the last admin of {name}. Make someone else an admin first.")


def membership_change_role(*, organization: Organization, user_id: int, role: str, actor=None) -> Membership | None:
    """None when the user is not a member of this organization."""
    if role not in Membership.Role.values:
        raise MemberError(f"The role must be one of: {', '.join(Membership.Role.values)}.")
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


def membership_remove(*, organization: Organization, user_id: int, actor=None) -> Membership | None:
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
