"""JSON API for members and invitations: the same rules as Settings → Members, by session or API token."""

import json

import pytest

from accounts import services
from accounts.actor import Actor
from accounts.models import AuditEvent, Invitation, Membership, hash_token
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider_auth(other_org):
    return bearer(other_org, name="theirs")


def send(client, method, url, body=None, **auth):
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data=data, content_type="application/json", **auth)


def test_a_script_invites_and_the_link_goes_only_to_the_mailbox(client, org, token_auth, mailoutbox, captured_logs):
    response = send(
        client, "post", "/api/members/invitations", {"email": "New@Acme.example", "role": "admin"}, **token_auth
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@acme.example"
    assert body["role"] == "admin"
    assert body["invitedBy"] is None
    assert body["emailSent"] is True
    assert "acceptUrl" not in body
    token = mailoutbox[0].body.split("https://roster.example.com/invitations/")[1].split("/")[0]
    assert Invitation.objects.get(pk=body["id"]).token_hash == hash_token(token)
    assert token not in response.content.decode()
    listing = client.get("/api/members/", **token_auth)
    assert token not in listing.content.decode()
    assert hash_token(token) not in listing.content.decode()
    assert listing.json()["invitations"] == [{k: v for k, v in body.items() if k != "emailSent"}]
    assert token not in captured_logs.text
    event = AuditEvent.objects.get(organization=org, provider="roster", action__startswith="invitation")
    assert event.action == "invitation_create"
    assert event.actor_label.startswith("API token …")


def test_members_list_members_and_invitations(member_client, org, admin_user):
    services.invitation_create(
        organization=org, email="new@acme.example", role="member", actor=Actor.person(admin_user)
    )
    body = member_client.get("/api/members/").json()
    assert [(m["email"], m["role"]) for m in body["members"]] == [
        ("admin@acme.example", "admin"),
        ("member@acme.example", "member"),
    ]
    assert body["invitations"][0]["email"] == "new@acme.example"
    assert body["invitations"][0]["invitedBy"] == "admin@acme.example"


@pytest.mark.parametrize(
    "body,code",
    [
        ({"email": "nope"}, "invalid_request"),
        ({"email": "nul\u0000@acme.example"}, "invalid_request"),  # PostgreSQL refuses NUL: was a 500 there
        ({"email": "@"}, "invalid_request"),
        ({"email": "a@b.example", "role": "owner"}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
def test_a_bad_invitation_is_a_400(client, org, token_auth, body, code):
    response = send(client, "post", "/api/members/invitations", body, **token_auth)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_inviting_a_member_is_a_409(client, member_user, token_auth):
    response = send(client, "post", "/api/members/invitations", {"email": "MEMBER@acme.example"}, **token_auth)
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_member",
        "message": "member@acme.example is already a member of Acme.",
    }


def test_a_script_changes_roles_removes_members_and_revokes_invitations(client, org, member_user, token_auth):
    response = send(client, "patch", f"/api/members/{member_user.id}", {"role": "admin"}, **token_auth)
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert send(client, "delete", f"/api/members/{member_user.id}", **token_auth).status_code == 204
    assert not Membership.objects.filter(organization=org, user=member_user).exists()
    invitation = services.invitation_create(organization=org, email="new@acme.example", role="member").invitation
    assert send(client, "delete", f"/api/members/invitations/{invitation.id}", **token_auth).status_code == 204
    assert not Invitation.objects.exists()
    assert send(client, "delete", f"/api/members/invitations/{invitation.id}", **token_auth).status_code == 404


def test_the_last_admin_is_a_409(client, admin_user, token_auth):
    for method, body in (("patch", {"role": "member"}), ("delete", None)):
        response = send(client, method, f"/api/members/{admin_user.id}", body, **token_auth)
        assert response.status_code == 409
        assert response.json()["code"] == "last_admin"
    assert Membership.objects.get(user=admin_user).role == "admin"


def test_a_member_gets_403_on_every_write(member_client, org, admin_user, member_user):
    invitation = services.invitation_create(organization=org, email="new@acme.example", role="member").invitation
    calls = [
        ("post", "/api/members/invitations", {"email": "x@acme.example"}),
        ("delete", f"/api/members/invitations/{invitation.id}", None),
        ("patch", f"/api/members/{member_user.id}", {"role": "admin"}),
        ("delete", f"/api/members/{admin_user.id}", None),
    ]
    for method, url, body in calls:
        response = send(member_client, method, url, body)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert Invitation.objects.count() == 1
    assert Membership.objects.filter(organization=org).count() == 2


def test_another_orgs_token_sees_and_changes_nothing_here(client, org, admin_user, member_user, outsider_auth):
    invitation = services.invitation_create(organization=org, email="new@acme.example", role="member").invitation
    body = client.get("/api/members/", **outsider_auth).json()
    assert [m["email"] for m in body["members"]] == ["admin@globex.example"]
    assert body["invitations"] == []
    calls = [
        ("delete", f"/api/members/invitations/{invitation.id}", None),
        ("patch", f"/api/members/{member_user.id}", {"role": "admin"}),
        ("delete", f"/api/members/{admin_user.id}", None),
    ]
    for method, url, data in calls:
        response = send(client, method, url, data, **outsider_auth)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    assert Membership.objects.filter(organization=org).count() == 2


def test_a_call_with_both_a_session_and_a_token_is_audited_as_the_token(admin_client, org, token_auth):
    response = send(admin_client, "post", "/api/members/invitations", {"email": "new@acme.example"}, **token_auth)
    assert response.status_code == 201
    event = AuditEvent.objects.get(organization=org, action="invitation_create")
    assert event.actor_label.startswith("API token …")
    assert event.actor is None
