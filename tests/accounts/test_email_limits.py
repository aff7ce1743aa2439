"""Emails to one address are limited (config.limits): 10 invitations an hour per organization and
address, 10 confirmation links an hour per account's address. Over that, nothing changes or is sent:
the page answers 429 with Retry-After and says when to try again; the API answers 429 `rate_limited`."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://roster\.example\.com/invitations/([A-Za-z0-9_-]+)/")


def resend(admin_client, email="new@acme.example"):
    """The Re-send button of a pending invitation (the invite form with its address and role)."""
    return admin_client.post("/settings/members/invite/", {"email": email, "role": "member"})


def test_an_eleventh_invitation_email_within_the_hour_is_refused_and_the_emailed_link_keeps_working(
    admin_client, org, mailoutbox
):
    for _ in range(10):
        assert resend(admin_client).status_code == 302
    assert len(mailoutbox) == 10
    last_link = LINK.search(mailoutbox[-1].body).group(1)
    token_hash = Invitation.objects.get().token_hash

    refused = resend(admin_client, "NEW@acme.example")
    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    page = refused.content.decode()
    assert "Too many emails to new@acme.example: try again in 60 minutes." in page
    assert '<dialog id="invite" class="dialog" aria-labelledby="invite-title" open>' in page  # beside the field
    assert len(mailoutbox) == 10
    assert Invitation.objects.get().token_hash == token_hash  # not replaced: the last emailed link works
    assert Client().get(f"/invitations/{last_link}/").status_code == 200

    assert resend(admin_client, "other@acme.example").status_code == 302  # another address: its own count
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert resend(admin_client).status_code == 302
    assert len(mailoutbox) == 12


def test_the_invitation_limit_is_per_organization(org, other_org, mailoutbox):
    for _ in range(10):
        services.invitation_create(organization=org, email="new@acme.example", role="member")
    with pytest.raises(services.RateLimited):
        services.invitation_create(organization=org, email="new@acme.example", role="member")
    assert services.invitation_create(organization=other_org, email="new@acme.example", role="member").emailed


def test_the_api_answers_429_rate_limited_with_retry_after(client, token_auth, mailoutbox):
    def invite():
        return client.post(
            "/api/members/invitations",
            data=json.dumps({"email": "new@acme.example"}),
            content_type="application/json",
            **token_auth,
        )

    for _ in range(10):
        assert invite().status_code == 201
    refused = invite()
    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    message = "Too many emails to new@acme.example: try again in 60 minutes."
    assert refused.json() == {"code": "rate_limited", "message": message, "errors": {"email": [message]}}
    assert len(mailoutbox) == 10


def test_an_eleventh_confirmation_link_within_the_hour_is_refused_on_the_sign_in_page(client, org, mailoutbox):
    User.objects.create_user(email="new@acme.example", password=PASSWORD, email_confirmed=False)
    page = client.post("/accounts/login/", {"username": "new@acme.example", "password": PASSWORD}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    for _ in range(10):
        sent = client.post("/confirm-email/resend/", {"token": token}, follow=True).content.decode()
        assert "We sent a new confirmation link to new@acme.example." in sent
    refused = client.post("/confirm-email/resend/", {"token": token})
    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    assert (
        '<p class="error" role="alert" data-testid="resend-refused">Too many emails to new@acme.example: '
        "try again in 60 minutes.</p>"
    ) in refused.content.decode()
    assert len(mailoutbox) == 10
