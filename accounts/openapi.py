"""OpenAPI description of this app's JSON API (api_members.py); merged by config/api_schema.py."""

from config.api_schema import NO_CONTENT, error, int_path, json_body, json_response, nullable, ref

from .models import Membership

TAG = {
    "name": "Members",
    "description": "The organization's members and pending invitations. Members read; admins invite and change roles.",
}

_ROLES = list(Membership.Role.values)
_MEMBER_EXAMPLE = {
    "userId": 7,
    "email": "ada@acme.example",
    "name": "Ada Lovelace",
    "role": "admin",
    "joinedAt": "2026-01-05T09:00:00+00:00",
}
_INVITATION_EXAMPLE = {
    "id": 12,
    "email": "grace@acme.example",
    "role": "member",
    "invitedBy": "ada@acme.example",
    "createdAt": "2026-01-05T09:00:00+00:00",
    "expiresAt": "2026-01-12T09:00:00+00:00",
    "expired": False,
}
_USER_ID = int_path("user_id", "The member's user id (`userId`).")
_LAST_ADMIN = error("The organization's last admin cannot be demoted or removed.", "last_admin")

PATHS = {
    "/api/members/": {
        "get": {
            "operationId": "listMembers",
            "summary": "Members and pending invitations",
            "description": "Never an invitation token.",
            "responses": {
                "200": json_response(
                    "Members and invitations.",
                    "MemberList",
                    {"members": [_MEMBER_EXAMPLE], "invitations": [_INVITATION_EXAMPLE]},
                )
            },
        }
    },
    "/api/members/invitations": {
        "post": {
            "operationId": "inviteMember",
            "summary": "Invite someone by email",
            "description": "The link is emailed. Inviting a pending email again replaces its link (admins).",
            "requestBody": json_body("InvitationCreate", {"email": "grace@acme.example", "role": "member"}),
            "responses": {
                "201": json_response(
                    "Invited.",
                    "InvitationCreated",
                    {**_INVITATION_EXAMPLE, "emailSent": True},
                ),
                "409": error("That person is already a member.", "already_member"),
                "429": {
                    **error(
                        "Too many emails to that address (10 an hour per organization): nothing was changed. "
                        "`Retry-After` says when to try again.",
                        "rate_limited",
                    ),
                    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
                },
            },
        }
    },
    "/api/members/invitations/{invitation_id}": {
        "parameters": [int_path("invitation_id", "The invitation's id.")],
        "delete": {
            "operationId": "revokeInvitation",
            "summary": "Revoke a pending invitation",
            "description": "Its link stops working (admins).",
            "responses": {"204": NO_CONTENT, "404": error("No such pending invitation.", "not_found")},
        },
    },
    "/api/members/{user_id}": {
        "parameters": [_USER_ID],
        "patch": {
            "operationId": "changeMemberRole",
            "summary": "Change a member's role",
            "description": "Demoting the last admin is a 409 `last_admin` (admins).",
            "requestBody": json_body("RoleChange", {"role": "admin"}),
            "responses": {
                "200": json_response("The member with the new role.", "Member", _MEMBER_EXAMPLE),
                "409": _LAST_ADMIN,
            },
        },
        "delete": {
            "operationId": "removeMember",
            "summary": "Remove a member",
            "description": "The person keeps their account and other organizations (admins).",
            "responses": {"204": NO_CONTENT, "409": _LAST_ADMIN},
        },
    },
}

_INVITATION_PROPERTIES = {
    "id": {"type": "integer"},
    "email": {"type": "string"},
    "role": {"type": "string", "enum": _ROLES},
    "invitedBy": nullable({"type": "string"}),
    "createdAt": {"type": "string", "format": "date-time"},
    "expiresAt": {"type": "string", "format": "date-time"},
    "expired": {"type": "boolean"},
}

SCHEMAS = {
    "Member": {
        "type": "object",
        "required": ["userId", "email", "name", "role", "joinedAt"],
        "properties": {
            "userId": {"type": "integer"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": _ROLES},
            "joinedAt": nullable({"type": "string", "format": "date-time"}),
        },
    },
    "Invitation": {"type": "object", "required": list(_INVITATION_PROPERTIES), "properties": _INVITATION_PROPERTIES},
    "InvitationCreated": {
        "type": "object",
        "required": [*_INVITATION_PROPERTIES, "emailSent"],
        "properties": {
            **_INVITATION_PROPERTIES,
            "emailSent": {
                "type": "boolean",
                "description": "Whether the link was emailed. The link itself is never returned.",
            },
        },
        "additionalProperties": False,
    },
    "MemberList": {
        "type": "object",
        "required": ["members", "invitations"],
        "properties": {
            "members": {"type": "array", "items": ref("Member")},
            "invitations": {"type": "array", "items": ref("Invitation")},
        },
    },
    "InvitationCreate": {
        "type": "object",
        "required": ["email"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "role": {"type": "string", "enum": _ROLES, "description": "Default `member`."},
        },
    },
    "RoleChange": {
        "type": "object",
        "required": ["role"],
        "properties": {"role": {"type": "string", "enum": _ROLES}},
    },
}
