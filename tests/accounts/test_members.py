"""Settings → Members: admins invite people by email, change roles and remove members; the invited
person joins from the emailed link. Personas: an admin, a member, an outsider (admin of another org)."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, Invitation, Membership, User, hash_token
from tests.conftest import PASSWORD, new_member
from tests.rotations.test_pages import confirm_refused

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://roster\.example\.com/invitations/([A-Za-z0-9_-]+)/")


def invite(admin_client, email="new@acme.example", role="member"):
    """The members page after inviting, and the link's token: from the email when it was sent (the
    page then never shows it), else from the page."""
    sent_before = len(mail.outbox)
    page = admin_client.post("/settings/members/invite/", {"email": email, "role": role}, follow=True).content.decode()
    if len(mail.outbox) > sent_before:
        assert LINK.search(page) is None
        return page, LINK.search(mail.outbox[-1].body).group(1)
    return page, LINK.search(page).group(1)


def path(token):
    return f"/invitations/{token}/"


def test_an_invited_person_gets_an_email_and_joins_with_a_new_account(
    admin_client, client, org, mailoutbox, captured_logs
):
    page, token = invite(admin_client, "New@Acme.example", role="admin")
    assert "Invitation emailed to new@acme.example." in page
    assert "it will not be shown again" not in page
    assert token not in page
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new@acme.example"]
    assert "admin@acme.example invited you to join Acme on Roster as admin." in mail.body
    assert f"https://roster.example.com/invitations/{token}/" in mail.body
    invitation = Invitation.objects.get(organization=org)
    assert invitation.token_hash == hash_token(token)
    assert token not in str(Invitation.objects.values_list())

    listing = admin_client.get("/settings/members/").content.decode()
    assert "new@acme.example" in listing
    assert token not in listing

    client.logout()
    form = client.get(path(token)).content.decode()
    assert "Choose your name and a password for <strong>new@acme.example</strong>" in form
    response = client.post(path(token), {"first_name": "Nia", "last_name": "Newton", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/settings/integrations/"
    user = User.objects.get(email="new@acme.example")
    assert user.get_full_name() == "Nia Newton"
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(user=user, organization=org).role == "admin"
    assert "Welcome to Acme." in client.get("/settings/integrations/").content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert token not in captured_logs.text
    assert PASSWORD not in captured_logs.text


def test_the_invitation_names_the_admin_who_sent_it_by_name_and_address(admin_client, admin_user, mailoutbox):
    admin_user.first_name, admin_user.last_name = "Ada", "Admin"
    admin_user.save()

    invite(admin_client)

    assert mailoutbox[0].body.startswith(
        "Ada Admin (admin@acme.example) invited you to join Acme on Roster as member.\n"
    )


def test_a_weak_password_is_refused_and_nothing_is_created(client, admin_client, org):
    _, token = invite(admin_client)
    client.logout()
    page = client.post(path(token), {"first_name": "Nia", "password": "password"}).content.decode()
    assert "This password is too common." in page
    assert not User.objects.filter(email="new@acme.example").exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_name_with_a_line_break_is_refused_beside_it_and_nothing_is_created(client, admin_client, org):
    _, token = invite(admin_client)
    client.logout()
    page = client.post(path(token), {"first_name": "Nia\nBcc: x@example.com", "password": PASSWORD}).content.decode()
    assert "A first name must be on one line: remove the line break." in page
    assert not User.objects.filter(email="new@acme.example").exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_existing_user_signs_in_then_joins_and_works_in_the_new_org(client, admin_client, org, outsider):
    _, token = invite(admin_client, "ADMIN@globex.example")
    client.logout()
    page = client.get(path(token)).content.decode()
    assert "You already have a Roster account for admin@globex.example: sign in to accept." in page
    assert f"/accounts/login/?next=%2Finvitations%2F{token}%2F" in page

    client.force_login(outsider)
    page = client.get(path(token)).content.decode()
    assert "Join Acme</button>" in page
    response = client.post(path(token))
    assert response["Location"] == "/settings/integrations/"
    assert Membership.objects.get(user=outsider, organization=org).role == "member"
    assert outsider.memberships.count() == 2
    assert "The people in Acme." in client.get("/settings/members/").content.decode()


def new_token(org, email="new@acme.example", role="member"):
    return services.invitation_create(organization=org, email=email, role=role).accept_url.rstrip("/").rsplit("/", 1)[1]


def test_someone_signed_in_as_another_email_is_told_to_sign_out(member_client, org):
    token = new_token(org)
    page = member_client.get(path(token)).content.decode()
    assert "This invitation is for <strong>new@acme.example</strong>, but you are signed in as" in page
    assert "Sign out</button>" in page
    member_client.post(path(token))
    assert Invitation.objects.get().accepted_at is None
    assert not User.objects.filter(email="new@acme.example").exists()


def test_an_expired_invitation_says_to_ask_an_admin_again(admin_client, client, org):
    _, token = invite(admin_client)
    client.logout()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(path(token))
        assert response.status_code == 410
        assert "This invitation has expired. Ask an admin of Acme to invite you again." in response.content.decode()
        response = client.post(path(token), {"first_name": "Nia", "password": PASSWORD})
        assert response.status_code == 410
    assert not User.objects.filter(email="new@acme.example").exists()


def test_a_link_checker_s_head_request_is_answered_and_never_logs_a_working_token(client, org, captured_logs):
    # Mail scanners and link previews send HEAD before the person clicks: a 405 would be logged with the path.
    token = new_token(org)
    assert client.head(path(token)).status_code == 200
    assert token not in captured_logs.text
    assert Invitation.objects.get().accepted_at is None


def test_the_expiry_follows_the_setting(admin_client, settings, org):
    settings.ROSTER_INVITATION_DAYS = 2
    invite(admin_client)
    expires_at = Invitation.objects.get().expires_at
    assert timedelta(days=1, hours=23) < expires_at - timezone.now() <= timedelta(days=2)
    assert f"{expires_at:%Y-%m-%d %H:%M} UTC" in admin_client.get("/settings/members/").content.decode()


def test_a_link_works_once(admin_client, client, org, member_user):
    _, token = invite(admin_client)
    client.logout()
    client.post(path(token), {"first_name": "Nia", "password": PASSWORD})
    client.logout()
    response = client.get(path(token))
    assert response.status_code == 410
    assert "This invitation was already used. Ask an admin of Acme to invite you again." in response.content.decode()
    assert Membership.objects.filter(organization=org).count() == 3


def test_opening_the_link_again_after_joining_leads_into_the_organization(admin_client, client, org):
    _, token = invite(admin_client)
    client.logout()
    client.post(path(token), {"first_name": "Nia", "password": PASSWORD})
    page = client.get(path(token), follow=True).content.decode()
    assert "Welcome to Acme." in page
    assert "already used" not in page
    client.logout()
    assert 'href="/accounts/login/"' in client.get(path(token)).content.decode()  # the same person, signed out


def test_accepting_twice_creates_one_membership(org, outsider):
    token = new_token(org, outsider.email)
    first, second = services.invitation_for_token(token), services.invitation_for_token(token)  # both loaded unused
    services.invitation_accept(invitation=first, user=outsider)
    with pytest.raises(services.InvitationUnavailable):
        services.invitation_accept(invitation=second, user=outsider)
    assert Membership.objects.filter(organization=org, user=outsider).count() == 1


def test_a_new_account_cannot_be_created_twice_from_one_link(org):
    token = new_token(org)
    first, second = services.invitation_for_token(token), services.invitation_for_token(token)
    services.invitation_accept_new_user(invitation=first, first_name="Nia", password=PASSWORD)
    with pytest.raises(services.MemberError):
        services.invitation_accept_new_user(invitation=second, first_name="Nia", password=PASSWORD)
    assert User.objects.filter(email="new@acme.example").count() == 1
    assert Membership.objects.filter(organization=org, user__email="new@acme.example").count() == 1


def test_an_invitation_revoked_while_the_page_was_open_cannot_be_accepted(org, outsider):
    invitation = services.invitation_for_token(new_token(org, outsider.email))
    services.invitation_revoke(organization=org, invitation_id=invitation.pk)
    with pytest.raises(services.InvitationUnavailable, match="This invitation was revoked. Ask an admin of Acme"):
        services.invitation_accept(invitation=invitation, user=outsider)
    assert not Membership.objects.filter(organization=org, user=outsider).exists()


def test_an_unknown_or_revoked_link_is_not_found(admin_client, client, org):
    _, token = invite(admin_client)
    invitation = Invitation.objects.get()
    page = admin_client.post(
        f"/settings/members/invitations/{invitation.id}/revoke/", {"confirm": "on"}, follow=True
    ).content.decode()
    assert "The invitation to new@acme.example was revoked; its link no longer works." in page
    client.logout()
    for link in (path(token), path("made-up")):
        response = client.get(link)
        assert response.status_code == 404
        assert "ask an admin of the organization to invite you again" in response.content.decode()
        assert "Acme" not in response.content.decode()


def test_inviting_again_replaces_the_link_and_the_expiry(admin_client, client, org, mailoutbox):
    _, old = invite(admin_client, "new@acme.example")
    first_expiry = Invitation.objects.get().expires_at
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        _, new = invite(admin_client, "NEW@acme.example", role="admin")
    invitation = Invitation.objects.get()
    assert invitation.expires_at > first_expiry
    assert invitation.role == "admin"
    assert len(mailoutbox) == 2
    client.logout()
    assert client.get(path(old)).status_code == 404
    assert client.get(path(new)).status_code == 200


def test_inviting_a_member_is_a_form_error(admin_client, member_user, mailoutbox):
    response = admin_client.post("/settings/members/invite/", {"email": "Member@Acme.example", "role": "member"})
    page = response.content.decode()
    assert "member@acme.example is already a member of Acme." in page
    assert '<dialog id="invite" class="dialog" aria-labelledby="invite-title" open>' in page
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_when_email_fails_the_admin_copies_the_link(admin_client, org, mail_down):
    page, token = invite(admin_client)
    assert "The email to new@acme.example could not be sent: copy the link below to them." in page
    assert Invitation.objects.get().token_hash == hash_token(token)


def test_dialogs_open_without_javascript(admin_client, member_user):
    assert admin_client.get("/settings/members/invite/")["Location"] == "/settings/members/?dialog=invite"
    page = admin_client.get("/settings/members/?dialog=invite").content.decode()
    assert '<dialog id="invite" class="dialog" aria-labelledby="invite-title" open>' in page
    page = admin_client.get(f"/settings/members/?dialog=remove-{member_user.id}").content.decode()
    assert (
        f'<dialog id="remove-{member_user.id}" class="dialog" aria-labelledby="remove-{member_user.id}-title" open>'
        in page
    )
    assert f'<dialog id="role-{member_user.id}" class="dialog" aria-labelledby="role-{member_user.id}-title">' in page


def test_an_admin_changes_roles_and_removes_a_member_who_keeps_their_account(admin_client, org, member_user, other_org):
    Membership.objects.create(user=member_user, organization=other_org, role="member")
    page = admin_client.post(f"/settings/members/{member_user.id}/role/", {"role": "admin"}, follow=True)
    assert "member@acme.example is now admin." in page.content.decode()
    assert Membership.objects.get(user=member_user, organization=org).role == "admin"
    page = admin_client.post(
        f"/settings/members/{member_user.id}/remove/", {"confirm": "on"}, follow=True
    ).content.decode()
    assert "member@acme.example was removed from Acme." in page
    assert not Membership.objects.filter(user=member_user, organization=org).exists()
    assert Membership.objects.filter(user=member_user, organization=other_org).exists()
    assert User.objects.filter(pk=member_user.pk).exists()
    assert list(AuditEvent.objects.filter(organization=org, provider="roster").values_list("action", flat=True)) == [
        "member_remove",
        "member_role_change",
    ]


def test_an_admin_who_leaves_their_only_organization_is_told_so_instead_of_page_not_found(
    admin_client, admin_user, org, member_user
):
    services.membership_change_role(organization=org, user_id=member_user.id, role="admin")
    response = admin_client.post(f"/settings/members/{admin_user.id}/remove/", {"confirm": "on"}, follow=True)
    page = response.content.decode()
    assert "admin@acme.example was removed from Acme." in page
    assert "You are not a member of any organization in Roster." in page
    assert "Page not found" not in page
    assert "You are not a member of any organization in Roster." in admin_client.get("/", follow=True).content.decode()


def test_demoting_or_removing_an_admin_warns_that_their_api_tokens_stop_working(admin_client, member_user):
    page = admin_client.get("/settings/members/").content.decode()
    for dialog in (f"role-{member_user.id}", f"remove-{member_user.id}"):
        text = page.split(f'<dialog id="{dialog}"')[1].split("</dialog>")[0]
        assert "API tokens they created stop working" in text


def test_the_last_admin_cannot_be_removed_or_demoted(admin_client, admin_user, org, member_user):
    page = admin_client.post(f"/settings/members/{admin_user.id}/role/", {"role": "member"}, follow=True)
    assert "You cannot demote the last admin of Acme. Make someone else an admin first." in page.content.decode()
    page = admin_client.post(f"/settings/members/{admin_user.id}/remove/", {"confirm": "on"}, follow=True)
    assert "You cannot remove the last admin of Acme." in page.content.decode()
    assert Membership.objects.get(user=admin_user, organization=org).role == "admin"


def test_an_admin_whose_account_was_deactivated_does_not_count_as_the_other_admin(
    admin_client, admin_user, org, member_user
):
    services.membership_change_role(organization=org, user_id=member_user.id, role="admin")
    User.objects.filter(pk=member_user.pk).update(is_active=False)  # support staff deactivated them
    page = admin_client.post(f"/settings/members/{admin_user.id}/role/", {"role": "member"}, follow=True)
    assert "You cannot demote the last admin of Acme." in page.content.decode()
    page = admin_client.post(f"/settings/members/{member_user.id}/remove/", {"confirm": "on"}, follow=True)
    assert "member@acme.example was removed from Acme." in page.content.decode()


def test_the_last_admin_check_counts_only_this_org(org, admin_user, other_org):
    Membership.objects.create(user=admin_user, organization=other_org, role="admin")
    with pytest.raises(services.LastAdmin):
        services.membership_remove(organization=org, user_id=admin_user.id)


def test_members_see_the_list_without_controls_and_cannot_change_anything(member_client, org, admin_user, member_user):
    invitation = services.invitation_create(organization=org, email="new@acme.example", role="member").invitation
    page = member_client.get("/settings/members/").content.decode()
    assert "admin@acme.example" in page
    assert "new@acme.example" in page
    assert "Only admins can invite, change roles or remove members." in page
    assert "Invite someone" not in page
    assert "<dialog" not in page
    for url, data in [
        ("/settings/members/invite/", {"email": "x@acme.example", "role": "admin"}),
        (f"/settings/members/{member_user.id}/role/", {"role": "admin"}),
        (f"/settings/members/{admin_user.id}/remove/", {}),
        (f"/settings/members/invitations/{invitation.id}/revoke/", {}),
    ]:
        assert member_client.post(url, data).status_code == 403
    assert Membership.objects.get(user=member_user).role == "member"
    assert Invitation.objects.count() == 1
    assert Membership.objects.filter(organization=org).count() == 2


def test_an_admin_cannot_see_or_change_another_orgs_members(outsider_client, org, admin_user, member_user):
    invitation = services.invitation_create(organization=org, email="new@acme.example", role="member").invitation
    page = outsider_client.get("/settings/members/").content.decode()
    assert "admin@globex.example" in page
    assert "acme.example" not in page
    assert outsider_client.post(f"/settings/members/{member_user.id}/role/", {"role": "admin"}).status_code == 404
    assert outsider_client.post(f"/settings/members/{admin_user.id}/remove/", {"confirm": "on"}).status_code == 404
    assert (
        outsider_client.post(f"/settings/members/invitations/{invitation.id}/revoke/", {"confirm": "on"}).status_code
        == 404
    )
    assert outsider_client.post(f"/settings/members/{2**64}/role/", {"role": "admin"}).status_code == 404
    assert outsider_client.post(f"/settings/members/{2**64}/remove/", {"confirm": "on"}).status_code == 404
    assert Membership.objects.filter(organization=org).count() == 2
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_the_navigation_links_to_members(member_client):
    assert '<a href="/settings/members/">Members</a>' in member_client.get("/settings/integrations/").content.decode()


def test_django_admin_lists_invitations_without_the_token(client, org):
    token = new_token(org)
    invitation = Invitation.objects.get()
    client.force_login(User.objects.create_superuser(email="support@roster.example", password=PASSWORD))
    listing = client.get("/admin/accounts/invitation/").content.decode()
    detail = client.get(f"/admin/accounts/invitation/{invitation.pk}/change/").content.decode()
    assert "new@acme.example" in listing
    for page in (listing, detail):
        assert token not in page
        assert invitation.token_hash not in page


def test_the_link_is_shown_after_a_redirect_so_a_reload_never_re_sends_the_invitation(admin_client, mail_down):
    response = admin_client.post("/settings/members/invite/", {"email": "new@acme.example", "role": "member"})
    assert (response.status_code, response["Location"]) == (302, "/settings/members/")
    first_link = Invitation.objects.get().token_hash
    # Waiting in the session for the page, the link is encrypted like every stored secret.
    assert "/invitations/" not in json.dumps(dict(admin_client.session))

    shown = admin_client.get("/settings/members/").content.decode()
    token = LINK.search(shown).group(1)
    assert hash_token(token) == first_link
    reloaded = admin_client.get("/settings/members/").content.decode()
    assert token not in reloaded and "it will not be shown again" not in reloaded
    assert Invitation.objects.get().token_hash == first_link  # the shown link still works


def test_an_invitation_is_still_sent_when_redis_is_down(admin_client, settings, mailoutbox, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the invitation limit cannot count

    page = admin_client.post(
        "/settings/members/invite/", {"email": "nia@acme.example", "role": "member"}, follow=True
    ).content.decode()

    assert "nia@acme.example" in page and [m.to for m in mailoutbox] == [["nia@acme.example"]]
    assert "is off: Redis is unavailable" in caplog.text


@pytest.fixture
def support_client(client):
    client.force_login(User.objects.create_superuser(email="support@roster.example", password=PASSWORD))
    return client


def _post_memberships(client, org, memberships, **changes):
    """The Organization admin page's form as support staff submit it: `changes` maps a membership's
    field ("memberships-0-role", "memberships-0-DELETE") to its new value."""
    url = f"/admin/accounts/organization/{org.pk}/change/"
    data = {"name": org.name, "slug": org.slug}
    for prefix in re.findall(r'name="([a-z_]+)-TOTAL_FORMS"', client.get(url).content.decode()):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    data |= {"memberships-TOTAL_FORMS": len(memberships), "memberships-INITIAL_FORMS": len(memberships)}
    for i, membership in enumerate(memberships):
        data |= {
            f"memberships-{i}-id": membership.pk,
            f"memberships-{i}-organization": org.pk,
            f"memberships-{i}-user": membership.user_id,
            f"memberships-{i}-role": membership.role,
        }
    return client.post(url, data | changes, follow=True)


@pytest.mark.parametrize("change", [{"memberships-0-role": "member"}, {"memberships-0-DELETE": "on"}])
def test_support_staff_cannot_demote_or_remove_the_last_admin_in_django_admin(
    support_client, org, admin_user, member_user, change
):
    memberships = list(Membership.objects.filter(organization=org).order_by("role"))  # the admin first
    response = _post_memberships(support_client, org, memberships, **change)

    assert "the last admin of Acme. Make someone else an admin first." in response.content.decode()
    assert Membership.objects.get(user=admin_user, organization=org).role == "admin"
    assert not AuditEvent.objects.filter(organization=org, action__startswith="member_").exists()


def test_a_role_change_and_a_removal_in_django_admin_are_in_the_audit_trail_naming_the_staff_member(
    support_client, org, admin_user, member_user
):
    other = new_member(org, "other@acme.example")
    memberships = list(Membership.objects.filter(organization=org).order_by("user__email"))
    assert [m.user.email for m in memberships] == ["admin@acme.example", "member@acme.example", "other@acme.example"]
    changes = {"memberships-1-role": "admin", "memberships-2-DELETE": "on"}

    response = _post_memberships(support_client, org, memberships, **changes)

    assert "was changed successfully" in response.content.decode()
    assert Membership.objects.get(user=member_user, organization=org).role == "admin"
    assert not Membership.objects.filter(user=other, organization=org).exists()
    trail = {(e.action, e.actor_label, e.summary) for e in AuditEvent.objects.filter(organization=org)}
    assert ("member_role_change", "support@roster.example", "Made member@acme.example admin") in trail
    assert ("member_remove", "support@roster.example", "Removed other@acme.example") in trail


def test_someone_support_staff_add_in_django_admin_is_in_the_audit_trail(support_client, org, admin_user):
    """The case support is asked for: the organization's only admin left, and a colleague must take over."""
    colleague = User.objects.create_user(email="colleague@acme.example", password=PASSWORD)
    memberships = list(Membership.objects.filter(organization=org))
    added = {
        "memberships-TOTAL_FORMS": 2,
        "memberships-1-organization": org.pk,
        "memberships-1-user": colleague.pk,
        "memberships-1-role": "admin",
    }

    response = _post_memberships(support_client, org, memberships, **added)

    assert "was changed successfully" in response.content.decode()
    assert Membership.objects.get(user=colleague, organization=org).role == "admin"
    event = AuditEvent.objects.get(organization=org, action="member_add")
    assert (event.actor_label, event.summary) == ("support@roster.example", "Added colleague@acme.example as admin")


def test_support_staff_deleting_an_account_cannot_leave_an_organization_without_an_admin(
    support_client, org, admin_user, member_user
):
    refused = support_client.post(f"/admin/accounts/user/{admin_user.pk}/delete/", {"post": "yes"}, follow=True)
    support_client.post(f"/admin/accounts/user/{member_user.pk}/delete/", {"post": "yes"})
    listing = support_client.get("/admin/accounts/user/").content.decode()

    assert "You cannot remove the last admin of Acme. Make someone else an admin first." in refused.content.decode()
    assert User.objects.filter(pk=admin_user.pk).exists()
    assert not User.objects.filter(pk=member_user.pk).exists()
    removed = AuditEvent.objects.get(organization=org, action="member_remove")
    assert (removed.actor_label, removed.summary) == ("support@roster.example", "Removed member@acme.example")
    assert 'value="delete_selected"' not in listing  # one account at a time, each checked


def test_removing_a_member_or_revoking_an_invitation_without_the_box_changes_nothing_and_says_why(
    admin_client, org, member_user
):
    invite(admin_client)
    invitation = Invitation.objects.get()
    confirm_refused(admin_client, f"/settings/members/{member_user.id}/remove/", f"remove-{member_user.id}")
    confirm_refused(admin_client, f"/settings/members/invitations/{invitation.id}/revoke/", f"revoke-{invitation.id}")
    assert Membership.objects.filter(user=member_user, organization=org).exists()
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def _deactivate(client, user):
    """Support staff untick Active on the user's admin page and save."""
    data = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name, "email_confirmed": "on"}
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data, follow=True)


def test_support_staff_deactivating_the_last_admin_are_warned_and_it_is_on_the_audit_trail(
    support_client, org, admin_user, member_user
):
    """Deactivating stays possible (it is how a stolen account is stopped), but nobody is left
    unaware that the organization has no admin who can sign in."""
    page = _deactivate(support_client, admin_user).content.decode()

    assert not User.objects.get(pk=admin_user.pk).is_active
    assert (
        "Acme has no active admin now: nobody there can manage its connections or members. "
        f'<a href="/admin/accounts/organization/{org.pk}/change/">Make someone an admin</a> on its page.' in page
    )
    event = AuditEvent.objects.get(organization=org, action="admin_deactivated")
    assert (event.actor_label, event.summary) == (
        "support@roster.example",
        "Deactivated admin@acme.example, the last active admin",
    )
    assert "no active admin" not in _deactivate(support_client, member_user).content.decode()
