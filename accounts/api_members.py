"""JSON API for Settings → Members: the list (members), invitations and role changes (admins)."""

from django.http import HttpResponse, JsonResponse

from . import selectors, services
from .api import ApiError, api_actor, api_view, iso, json_body, rate_limited
from .forms import InviteForm
from .models import Invitation, Membership

ROLES = ", ".join(Membership.Role.values)


def member_json(m: Membership) -> dict:
    return {
        "userId": m.user_id,
        "email": m.user.email,
        "name": m.user.get_full_name(),
        "role": m.role,
        "joinedAt": iso(m.created_at),
    }


def invitation_json(i: Invitation) -> dict:
    return {
        "id": i.pk,
        "email": i.email,
        "role": i.role,
        "invitedBy": i.invited_by.email if i.invited_by else None,
        "createdAt": iso(i.created_at),
        "expiresAt": iso(i.expires_at),
        "expired": i.is_expired,
    }


def _error(error: services.MemberError) -> ApiError:
    if isinstance(error, services.RateLimited):
        return rate_limited(error.message, error.retry_after, field="email")
    return ApiError(
        409 if isinstance(error, services.LastAdmin | services.AlreadyMember) else 400, error.code, error.message
    )


def _string(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "invalid_request", f'Send {{"{name}": "..."}} as a string.')
    return value


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def members(request):
    org = request.organization
    return JsonResponse(
        {
            "members": [member_json(m) for m in selectors.organization_members(org)],
            "invitations": [invitation_json(i) for i in selectors.pending_invitations(org)],
        }
    )


@api_view(["POST"])
def invitations(request):
    data = json_body(request)
    # Checked by the page's own form: the same email and role rules for both.
    form = InviteForm({"email": _string(data, "email"), "role": data.get("role", Membership.Role.MEMBER)})
    if "email" in form.errors:
        raise ApiError(400, "invalid_request", "email must be an email address.")
    if "role" in form.errors:
        raise ApiError(400, "invalid_request", f"role must be one of: {ROLES}.")
    try:
        new = services.invitation_create(
            organization=request.organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=api_actor(request),
        )
    except services.MemberError as error:
        raise _error(error) from error
    # The accept link is only emailed, never returned: a token (or its thief) must not get the invitee's
    # account. When sending failed, an admin re-sends it from Settings → Members, where it is shown.
    return JsonResponse({**invitation_json(new.invitation), "emailSent": new.emailed}, status=201)


@api_view(["DELETE"])
def invitation(request, invitation_id: int):
    if (
        services.invitation_revoke(
            organization=request.organization, invitation_id=invitation_id, actor=api_actor(request)
        )
        is None
    ):
        raise ApiError(404, "not_found", "No such pending invitation.")
    return HttpResponse(status=204)


@api_view(["PATCH", "DELETE"])
def member(request, user_id: int):
    org, actor = request.organization, api_actor(request)
    try:
        if request.method == "DELETE":
            removed = services.membership_remove(organization=org, user_id=user_id, actor=actor)
        else:
            role = _string(json_body(request), "role")
            removed = services.membership_change_role(organization=org, user_id=user_id, role=role, actor=actor)
    except services.MemberError as error:
        raise _error(error) from error
    if removed is None:
        raise ApiError(404, "not_found", "No such member in this organization.")
    return HttpResponse(status=204) if request.method == "DELETE" else JsonResponse(member_json(removed))
