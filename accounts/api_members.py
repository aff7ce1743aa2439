"""JSON API for Settings → Members: the list (members), invitations and role changes (admins)."""

from typing import Literal

from django.http import HttpResponse
from ninja import Status
from pydantic import Field

from . import selectors, services
from .api import ApiError, DateTime, Error, Id, Schema, api_actor, auth, email, iso, or_404, rate_limited
from .api import router as api_router
from .forms import InviteForm
from .models import Invitation as InvitationRow
from .models import Membership

router = api_router(
    "Members", "The organization's members and pending invitations. Members read; admins invite and change roles."
)

Role = Literal["admin", "member"]
NO_MEMBER = "No such member in this organization."


class Member(Schema):
    user_id: int
    email: str
    name: str
    role: Role
    joined_at: DateTime | None

    @staticmethod
    def of(m: Membership) -> "Member":
        return Member.model_validate(
            {"user_id": m.user_id, "email": m.user.email, "name": m.user.get_full_name(), "role": m.role}
            | {"joined_at": iso(m.created_at)}
        )


class Invitation(Schema):
    id: int
    email: str
    role: Role
    invited_by: str | None
    created_at: DateTime
    expires_at: DateTime
    expired: bool

    @staticmethod
    def fields_of(i: InvitationRow) -> dict:
        return {
            "id": i.pk,
            "email": i.email,
            "role": i.role,
            "invited_by": i.invited_by.email if i.invited_by else None,
            "created_at": iso(i.created_at),
            "expires_at": iso(i.expires_at),
            "expired": i.is_expired,
        }


class MemberList(Schema):
    members: list[Member]
    invitations: list[Invitation]


class InvitationCreated(Invitation):
    email_sent: bool = Field(description="Whether the link was emailed. The link itself is never returned.")


class InvitationCreate(Schema):
    email: email()  # type: ignore[valid-type]
    role: Role = Field("member", description="Default `member`.")


class RoleChange(Schema):
    role: Role


def _error(error: services.MemberError) -> ApiError:
    if isinstance(error, services.RateLimited):
        return rate_limited(error.message, error.retry_after, field="email")
    return ApiError(
        409 if isinstance(error, services.LastAdmin | services.AlreadyMember) else 400, error.code, error.message
    )


@router.get(
    "/", response=MemberList, auth=auth("read"), operation_id="listMembers", summary="Members and pending invitations"
)
def members(request):
    """Never an invitation token."""
    org = request.organization
    return MemberList(
        members=[Member.of(m) for m in selectors.organization_members(org)],
        invitations=[Invitation(**Invitation.fields_of(i)) for i in selectors.pending_invitations(org)],
    )


@router.post(
    "/invitations",
    response={201: InvitationCreated, 409: Error, 429: Error},
    auth=auth(),
    operation_id="inviteMember",
    summary="Invite someone by email",
)
def invite(request, payload: InvitationCreate):
    """The link is emailed. Inviting a pending email again replaces its link (admins). Someone already
    a member is a 409 `already_member`; too many emails to that address (10 an hour per organization) a
    429 `rate_limited`, nothing changed (`Retry-After` says when to try again)."""
    form = InviteForm({"email": payload.email, "role": payload.role})  # the page's own email rule
    if not form.is_valid():
        raise ApiError(400, "invalid_request", "email must be an email address.", field="email")
    with ApiError.instead_of(services.MemberError, _error):
        new = services.invitation_create(
            organization=request.organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=api_actor(request),
        )
    # The accept link is only emailed, never returned: a token (or its thief) must not get the invitee's
    # account. When sending failed, an admin re-sends it from Settings → Members, where it is shown.
    return Status(201, InvitationCreated(**Invitation.fields_of(new.invitation), email_sent=new.emailed))


@router.delete(
    "/invitations/{int:invitation_id}",
    response={204: None},
    auth=auth(),
    operation_id="revokeInvitation",
    summary="Revoke a pending invitation",
)
def revoke_invitation(request, invitation_id: Id):
    """Its link stops working (admins)."""
    revoked = services.invitation_revoke(
        organization=request.organization, invitation_id=invitation_id, actor=api_actor(request)
    )
    or_404(revoked, "No such pending invitation.")
    return HttpResponse(status=204)


@router.patch(
    "/{int:user_id}",
    response={200: Member, 409: Error},
    auth=auth(),
    operation_id="changeMemberRole",
    summary="Change a member's role",
)
def change_role(request, user_id: Id, payload: RoleChange):
    """Demoting the last admin is a 409 `last_admin` (admins)."""
    with ApiError.instead_of(services.MemberError, _error):
        changed = services.membership_change_role(
            organization=request.organization, user_id=user_id, role=payload.role, actor=api_actor(request)
        )
    return Member.of(or_404(changed, NO_MEMBER))


@router.delete(
    "/{int:user_id}",
    response={204: None, 409: Error},
    auth=auth(),
    operation_id="removeMember",
    summary="Remove a member",
)
def remove(request, user_id: Id):
    """The person keeps their account and other organizations (admins). Removing the last admin is a
    409 `last_admin`."""
    with ApiError.instead_of(services.MemberError, _error):
        removed = services.membership_remove(
            organization=request.organization, user_id=user_id, actor=api_actor(request)
        )
    or_404(removed, NO_MEMBER)
    return HttpResponse(status=204)
