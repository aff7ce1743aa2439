from .access import current_membership, memberships_for


def organization(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_organization": membership.organization if membership else None,
        "all_memberships": memberships_for(request.user),
    }
