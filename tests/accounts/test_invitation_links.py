"""An account is created only by someone who controls its email address: the invitation link goes to
the mailbox, an admin sees it only when the email could not be sent, and an account created from a
link an admin saw confirms its address by email before it can sign in."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from accounts import services
from accounts.models import Invitation, Membership, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

INVITATION_LINK = re.compile(r"https://roster\.example\.com(/invitations/[A-Za-z0-9_-]+/)")
CONFIRM_LINK = re.compile(r"https://roster\.example\.com(/confirm-email/[^/\s]+/[^/\s]+/)")


def sign_in(client, email="new@acme.example", password=PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_the_api_never_returns_the_link_even_when_the_email_could_not_be_sent(client, token_auth, mail_down):
    response = client.post(
        "/api/members/invitations",
        data=json.dumps({"email": "new@acme.example"}),
        content_type="application/json",
        **token_auth,
    )
    assert response.status_code == 201
    assert response.json()["emailSent"] is False
    assert "acceptUrl" not in response.json()
    assert "/invitations/" not in response.content.decode()


def test_a_session_admin_on_the_api_does_not_get_the_link_either(admin_client, org):
    response = admin_client.post(
        "/api/members/invitations", data=json.dumps({"email": "new@acme.example"}), content_type="application/json"
    )
    assert response.status_code == 201
    assert "/invitations/" not in response.content.decode()


def test_an_emailed_link_is_never_shown_and_its_account_signs_in_at_once(admin_client, org, mailoutbox):
    page = admin_client.post("/settings/members/invite/", {"email": "new@acme.example", "role": "member"}, follow=True)
    assert INVITATION_LINK.search(page.content.decode()) is None
    assert INVITATION_LINK.search(admin_client.get("/settings/members/").content.decode()) is None
    link = INVITATION_LINK.search(mailoutbox[0].body).group(1)
    assert Invitation.objects.get().link_shown is False
    client = Client()  # the invitee's browser

    response = client.post(link, {"first_name": "Nia", "password": PASSWORD})
    assert response["Location"] == "/settings/integrations/"
    assert User.objects.get(email="new@acme.example").email_confirmed
    client.logout()
    assert sign_in(client).status_code == 302


def test_an_account_from_a_link_the_admin_saw_confirms_its_email_before_signing_in(
    admin_client, org, mail_down, mailoutbox
):
    page = admin_client.post("/settings/members/invite/", {"email": "new@acme.example", "role": "member"}, follow=True)
    page = page.content.decode()
    assert "The email to new@acme.example could not be sent: copy the link below to them." in page
    link = INVITATION_LINK.search(page).group(1)
    assert Invitation.objects.get().link_shown is True
    mail_down.undo()  # mail works again
    client = Client()  # the invitee's browser

    page = client.post(link, {"first_name": "Nia", "password": PASSWORD}).content.decode()
    assert "Before you can sign in, confirm that <strong>new@acme.example</strong> is yours" in page
    assert "_auth_user_id" not in client.session
    user = User.objects.get(email="new@acme.example")
    assert user.email_confirmed is False
    assert Membership.objects.filter(user=user, organization=org).exists()
    assert [m.to for m in mailoutbox] == [["new@acme.example"]]
    first_link = CONFIRM_LINK.search(mailoutbox[0].body).group(1)

    refused = sign_in(client)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Confirm your email address first: we sent a link to <strong>new@acme.example</strong>" in text
    assert "_auth_user_id" not in client.session
    resend_token = re.search(r'name="token" value="([^"]+)"', text).group(1)
    resent = client.post("/confirm-email/resend/", {"token": resend_token}, follow=True).content.decode()
    assert "We sent a new confirmation link to new@acme.example." in resent
    assert [m.to for m in mailoutbox] == [["new@acme.example"]] * 2
    link = CONFIRM_LINK.search(mailoutbox[1].body).group(1)
    assert client.get(first_link).status_code == 200  # the first link works too, until one is used

    # Following the link is not enough: the one who chose the password confirms (GET changes nothing).
    assert "enter the password you chose for it" in client.get(link).content.decode()
    wrong = client.post(link, {"password": "someone-elses-password-1"}).content.decode()
    assert "That is not the password chosen for this account." in wrong
    user.refresh_from_db()
    assert user.email_confirmed is False

    response = client.post(link, {"password": PASSWORD})
    assert response["Location"] == "/settings/integrations/"
    user.refresh_from_db()
    assert user.email_confirmed is True
    assert "new@acme.example is confirmed." in client.get("/settings/integrations/").content.decode()
    assert client.get(link).status_code == 404  # single use
    client.logout()
    assert sign_in(client).status_code == 302


def test_the_wrong_password_on_sign_in_does_not_reveal_an_unconfirmed_account(client, org):
    User.objects.create_user(email="new@acme.example", password=PASSWORD, email_confirmed=False)
    text = sign_in(client, password="not-the-password-1").content.decode()
    assert "didn't match" in text
    assert "Confirm your email" not in text


def test_a_new_password_set_from_the_reset_email_also_confirms_the_address(client, org, mailoutbox):
    User.objects.create_user(email="new@acme.example", password=PASSWORD, email_confirmed=False)
    client.post("/accounts/password_reset/", {"email": "new@acme.example"})
    reset = re.search(r"https://roster\.example\.com(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(reset, follow=True).redirect_chain[-1][0]
    client.post(form, {"new_password1": "a brand new passphrase 9", "new_password2": "a brand new passphrase 9"})
    assert sign_in(client, password="a brand new passphrase 9").status_code == 302


def test_a_forged_resend_request_sends_nothing(client, org, mailoutbox):
    user = User.objects.create_user(email="new@acme.example", password=PASSWORD, email_confirmed=False)
    page = client.post("/confirm-email/resend/", {"token": f"{user.pk}"}, follow=True).content.decode()
    assert "Sign in again to ask for a new confirmation link." in page
    assert mailoutbox == []


def test_a_confirmation_link_for_another_account_or_made_up_does_not_work(client, org):
    user = User.objects.create_user(email="new@acme.example", password=PASSWORD, email_confirmed=False)
    other = User.objects.create_user(email="other@acme.example", password=PASSWORD, email_confirmed=False)
    link = services.email_confirmation_url(user).removeprefix("https://roster.example.com")
    other_uid = services.email_confirmation_url(other).split("/")[-3]
    forged = link.replace(link.split("/")[2], other_uid)
    for path in (forged, "/confirm-email/xx/yy/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This confirmation link does not work" in response.content.decode()


def test_create_organization_with_an_existing_account_says_so_and_leaves_its_password(org, admin_user, monkeypatch):
    monkeypatch.setenv("ADMIN_PW", "an-operator-chosen-password-9")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_organization",
        "Initech",
        "--admin",
        "Admin@Acme.example",
        "--password-env",
        "ADMIN_PW",
        stdout=out,
        stderr=err,
    )
    assert out.getvalue().strip() == "initech"
    assert "admin@acme.example already has a Roster account" in err.getvalue()
    assert "left unchanged" in err.getvalue()
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)
    assert not admin_user.check_password("an-operator-chosen-password-9")
    assert Membership.objects.get(user=admin_user, organization__slug="initech").role == "admin"


def test_inviting_again_once_mail_works_sends_a_link_nobody_saw(admin_client, org, mail_down, mailoutbox):
    admin_client.post("/settings/members/invite/", {"email": "new@acme.example", "role": "member"})
    assert Invitation.objects.get().link_shown is True
    mail_down.undo()
    page = admin_client.post("/settings/members/invite/", {"email": "new@acme.example", "role": "member"}, follow=True)
    assert INVITATION_LINK.search(page.content.decode()) is None
    assert Invitation.objects.get().link_shown is False
    link = INVITATION_LINK.search(mailoutbox[0].body).group(1)
    response = Client().post(link, {"first_name": "Nia", "password": PASSWORD})
    assert response["Location"] == "/settings/integrations/"
    assert User.objects.get(email="new@acme.example").email_confirmed is True
