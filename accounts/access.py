"""Who may see what. Every page and API view gets its organization through these helpers."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from config import logging as log_context

from .models import Membership, Organization


def memberships_for(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")


def current_membership(request) -> Membership | None:
    """The membership of the organization the signed-in user is working in (kept in the session)."""
    if hasattr(request, "_cached_membership"):
        return request._cached_membership
    memberships = list(memberships_for(request.user))
    wanted = request.session.get("organization_id") if hasattr(request, "session") else None
    chosen = next((m for m in memberships if m.organization_id == wanted), memberships[0] if memberships else None)
    request._cached_membership = chosen
    if chosen is not None:
        log_context.bind(organization_id=chosen.organization_id)  # this request's log lines name it
    return chosen


def get_org_for_member(request) -> Organization:
    """The current organization, for any member; 404 when the user belongs to none."""
    if getattr(request, "api_token", None) is not None:
        log_context.bind(organization_id=request.api_token.organization_id)
        return request.api_token.organization
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any organization.")
    return membership.organization


def get_org_for_admin(request) -> Organization:
    """The current organization, for its admins only; 403 for members."""
    token = getattr(request, "api_token", None)
    if token is not None and not token.allows(token.Scope.ADMIN):
        raise PermissionDenied("This API token's scope does not include admin.")
    organization = get_org_for_member(request)  # 404 for someone in no organization
    if not is_admin(request):
        raise PermissionDenied("Only organization admins can do this.")
    return organization


def is_admin(request) -> bool:
    token = getattr(request, "api_token", None)
    if token is not None:
        return token.allows(token.Scope.ADMIN)
    membership = current_membership(request)
    return bool(membership and membership.is_admin)
