"""Reads for Settings → Members (the page and the JSON API show the same rows)."""

from .models import Invitation, Membership


def organization_members(organization):
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def pending_invitations(organization):
    return Invitation.objects.pending().filter(organization=organization).select_related("invited_by")
