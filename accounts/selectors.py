"""Reads for Settings → Members (the page and the JSON API show the same rows)."""

from .models import Invitation, Membership


def organization_members(organization):
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def pending_invitations(organization):
    return Invitation.objects.pending().filter(organization=organization).select_related("invited_by")


def admin_names(organization) -> list[str]:
    """Who can fix what only admins can (a connection): the admins, by name (email when no name)."""
    admins = organization_members(organization).filter(role=Membership.Role.ADMIN)
    return [m.user.get_full_name() or m.user.email for m in admins]
