"""Organizations, sign-in, API tokens and the management commands scripts rely on."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import ApiToken, AuditEvent, Membership, Organization, User, hash_token
from accounts.services import api_token_create, email_confirmation_send
from rotations.services import rotation_create
from tests.conftest import NOW, PASSWORD, bearer
from tests.rotations.test_pages import confirm_refused

pytestmark = pytest.mark.django_db


def test_create_organization_prints_the_slug_and_makes_an_admin(monkeypatch):
    monkeypatch.setenv("ADMIN_PW", "s3cret-password!")
    out = io.StringIO()
    call_command(
        "create_organization", "Acme Corp", "--admin", "Ops@Acme.example", "--password-env", "ADMIN_PW", stdout=out
    )
    slug = out.getvalue().strip()
    assert slug == "acme-corp"
    org = Organization.objects.get(slug=slug)
    membership = Membership.objects.get(organization=org)
    assert membership.role == "admin"
    assert membership.user.email == "ops@acme.example"
    assert membership.user.check_password("s3cret-password!")


def test_a_second_org_with_the_same_name_gets_its_own_slug(monkeypatch):
    monkeypatch.setenv("ADMIN_PW", "s3cret-password!")
    outs = []
    for _ in range(2):
        out = io.StringIO()
        call_command(
            "create_organization", "Acme", "--admin", "a@acme.example", "--password-env", "ADMIN_PW", stdout=out
        )
        outs.append(out.getvalue().strip())
    assert outs == ["acme", "acme-2"]


def test_create_organization_refuses_an_empty_password_variable(monkeypatch):
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(CommandError, match="NOPE is empty or unset"):
        call_command("create_organization", "Acme", "--admin", "a@acme.example", "--password-env", "NOPE")


def test_an_admin_created_without_a_password_sets_one_from_forgot_your_password(client, mailoutbox):
    call_command("create_organization", "Acme", "--admin", "ops@acme.example", stdout=io.StringIO())
    client.post("/accounts/password_reset/", {"email": "ops@acme.example"})
    (link,) = re.findall(r"https://roster\.example\.com(/accounts/reset/\S+/)", mailoutbox[0].body)
    form = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form, {"new_password1": "a brand new passphrase 9", "new_password2": "a brand new passphrase 9"})
    signed_in = client.post(
        "/accounts/login/", {"username": "ops@acme.example", "password": "a brand new passphrase 9"}
    )
    assert signed_in["Location"] == "/settings/integrations/"


def test_create_api_token_prints_a_token_that_is_stored_only_hashed(org):
    out = io.StringIO()
    call_command("create_api_token", org.slug, stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("rst_")
    token = ApiToken.objects.get(organization=org)
    assert token.token_hash == hash_token(raw)
    assert token.last4 == raw[-4:]
    assert raw not in str(ApiToken.objects.values_list())


def test_create_api_token_for_an_unknown_org_fails_clearly(db):
    with pytest.raises(CommandError, match="No organization with slug 'nope'"):
        call_command("create_api_token", "nope")


def test_people_sign_in_with_their_email(client, org):
    response = client.post("/accounts/login/", {"username": "admin@acme.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/settings/integrations/"


def test_the_email_signs_in_however_it_is_capitalized(client, org):
    response = client.post("/accounts/login/", {"username": " Admin@ACME.example ", "password": PASSWORD})
    assert response["Location"] == "/settings/integrations/"
    client.logout()
    twin = User(email="Admin@acme.example")  # as support staff could type it in Django admin
    twin.set_password("the twin's password 1")
    twin.save()
    response = client.post("/accounts/login/", {"username": "Admin@acme.example", "password": "the twin's password 1"})
    assert response["Location"] == "/settings/integrations/"


def test_bootstrap_demo_creates_a_staff_admin_once(db):
    out = io.StringIO()
    call_command("bootstrap_demo", stdout=out)
    assert "Sign in at /accounts/login/ as admin@example.com with password: " in out.getvalue()
    assert User.objects.get(email="admin@example.com").is_staff
    out = io.StringIO()
    call_command("bootstrap_demo", stdout=out)
    assert "already present" in out.getvalue()
    assert Organization.objects.count() == 1


def test_an_admin_creates_a_token_that_is_shown_once(admin_client, org):
    page = admin_client.post("/settings/api-tokens/", {"name": "deploy", "scope": "read"}, follow=True).content.decode()
    token = ApiToken.objects.get(organization=org)
    assert "Copy this token now; it will not be shown again." in page
    shown = page.split('aria-label="New API token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert hash_token(shown) == token.token_hash
    again = admin_client.get("/settings/api-tokens/").content.decode()
    assert shown not in again
    assert token.last4 in again


def test_the_api_tokens_page_links_to_the_api_reference(admin_client, org):
    assert 'href="/api/docs/"' in admin_client.get("/settings/api-tokens/").content.decode()


def test_the_api_tokens_page_says_the_zone_of_when_a_token_was_created_and_last_used(admin_client, org, frozen):
    token, _ = api_token_create(organization=org, name="deploy", scope="read")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=NOW + dt.timedelta(hours=2))
    row = admin_client.get("/settings/api-tokens/").content.decode().split('data-label="Created">')[1]
    assert row.startswith("2026-03-06 12:00 UTC from the command line")
    assert 'data-label="Last used">2026-03-06 14:00 UTC</td>' in row


def test_support_staff_find_a_token_by_the_last_4_characters_a_customer_reads_them(staff_client, org):
    token, _ = api_token_create(organization=org, name="deploy", scope="read")
    listing = staff_client.get(f"/admin/accounts/apitoken/?q={token.last4}").content.decode()
    assert f"/admin/accounts/apitoken/{token.pk}/change/" in listing


def test_django_admin_says_the_zone_of_every_time_and_of_the_audit_trail(frozen, staff_client, admin_user, org):
    token, _ = api_token_create(organization=org, name="deploy", scope="read")
    assert ">2026-03-06 12:00 UTC</td>" in staff_client.get("/admin/accounts/apitoken/").content.decode()
    organization = staff_client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()
    assert "2026-03-06 12:00 UTC system: Created" in organization
    assert "March 6, 2026" not in organization
    user = staff_client.get(f"/admin/accounts/user/{admin_user.pk}/change/").content.decode()
    assert re.search(r"Date joined:</label>\s*<div class=\"readonly\">2026-03-06 12:00 UTC</div>", user)


def test_a_revoked_token_stops_working(admin_client, client, org):
    auth = bearer(org)
    token = ApiToken.objects.get()
    assert client.get("/api/integrations/pagerduty/", **auth).status_code == 200
    page = admin_client.post(
        f"/settings/api-tokens/{token.id}/delete/", {"confirm": "on"}, follow=True
    ).content.decode()
    assert "The API token was revoked." in page
    assert client.get("/api/integrations/pagerduty/", **auth).status_code == 401


def test_creating_and_revoking_a_token_is_in_the_audit_trail(admin_client, org):
    admin_client.post("/settings/api-tokens/", {"name": "deploy", "scope": "write"})
    token = ApiToken.objects.get()
    admin_client.post(f"/settings/api-tokens/{token.id}/delete/", {"confirm": "on"})
    call_command("create_api_token", org.slug, stdout=io.StringIO())
    trail = AuditEvent.objects.filter(organization=org, provider="roster").order_by("id")
    assert [(e.action, e.actor_label, e.summary) for e in trail] == [
        ("api_token_create", "admin@acme.example", f"Created the write API token “deploy” (…{token.last4})"),
        ("api_token_revoke", "admin@acme.example", f"Revoked the write API token “deploy” (…{token.last4})"),
        ("api_token_create", "system", f"Created the read API token “command line” (…{ApiToken.objects.get().last4})"),
    ]


def test_members_cannot_manage_tokens(member_client):
    assert member_client.get("/settings/api-tokens/").status_code == 403
    assert member_client.post("/settings/api-tokens/", {"name": "x"}).status_code == 403


def test_an_admin_cannot_revoke_another_orgs_token(client, admin_user, other_org):
    theirs, _ = api_token_create(organization=other_org, name="theirs")
    client.force_login(admin_user)
    client.post(f"/settings/api-tokens/{theirs.id}/delete/", {"confirm": "on"})
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_a_person_in_two_orgs_switches_between_them(client, admin_user, other_org):
    Membership.objects.create(user=admin_user, organization=other_org, role="member")
    client.force_login(admin_user)
    assert "only admins can change integrations" not in client.get("/settings/integrations/").content.decode()
    client.post("/organizations/switch/", {"organization_id": other_org.id})
    page = client.get("/settings/integrations/").content.decode()
    assert "Globex" in page
    assert "only admins can change integrations" in page


def test_switching_to_an_org_you_do_not_belong_to_does_nothing(client, admin_user, other_org):
    client.force_login(admin_user)
    client.post("/organizations/switch/", {"organization_id": other_org.id})
    assert "Globex" not in client.get("/settings/integrations/").content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example"])
def test_switching_organization_never_redirects_to_another_site(client, admin_user, other_org, next_url):
    Membership.objects.create(user=admin_user, organization=other_org, role="member")
    client.force_login(admin_user)
    response = client.post("/organizations/switch/", {"organization_id": other_org.id, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/settings/integrations/"


def test_switching_organization_returns_to_the_page_it_came_from(client, admin_user, other_org):
    Membership.objects.create(user=admin_user, organization=other_org, role="member")
    client.force_login(admin_user)
    response = client.post("/organizations/switch/", {"organization_id": other_org.id, "next": "/rotations/"})
    assert response["Location"] == "/rotations/"


@pytest.mark.parametrize(
    ("on", "lands_on"),
    [
        ("/incidents/?status=triggered", "/incidents/?status=triggered"),  # the same page, filters kept
        ("/rotations/{rotation}/", "/rotations/"),  # the old organization's rotation: its list instead
        ("/settings/webhooks/{rotation}/", "/settings/webhooks/"),
        ("https://evil.example/rotations/", "/settings/integrations/"),  # never off the site
    ],
)
def test_switching_organization_stays_on_the_page_or_the_list_above_it(
    client, admin_user, org, other_org, on, lands_on
):
    rotation = rotation_create(organization=org, name="Ops", time_zone="UTC", members=[])
    Membership.objects.create(user=admin_user, organization=other_org, role="admin")
    client.force_login(admin_user)
    response = client.post(
        "/organizations/switch/", {"organization_id": other_org.id, "next": on.format(rotation=rotation.pk)}
    )
    assert response["Location"] == lands_on
    assert client.get(lands_on).status_code == 200


def test_a_person_who_forgot_their_password_gets_a_reset_link_by_email(client, admin_user, mailoutbox):
    assert "Forgot your password?" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/password_reset/", {"email": admin_user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_the_account_emails_end_on_their_last_sentence_without_a_blank_line(
    client, admin_client, admin_user, mailoutbox
):
    admin_client.post("/settings/members/invite/", {"email": "new@acme.example", "role": "member"})
    unconfirmed = User.objects.create_user(email="unc@acme.example", password=PASSWORD, email_confirmed=False)
    email_confirmation_send(user=unconfirmed)
    Client().post("/accounts/password_reset/", {"email": admin_user.email})

    endings = [
        "If you did not expect this email, you can ignore it.\n",
        "the account cannot be used without this link.\n",
        "If you did not ask, ignore this email: your password stays as it is.\n",
    ]
    assert [m.subject for m in mailoutbox] == [
        "Join Acme on Roster",
        "Confirm your email address for Roster",
        "Set a new Roster password",
    ]
    for message, ending in zip(mailoutbox, endings, strict=True):
        assert message.body.endswith(ending) and not message.body.endswith("\n\n")


def test_changing_a_password_signs_the_other_browsers_out_but_not_this_one(admin_user):
    here, elsewhere = Client(), Client()
    here.force_login(admin_user)
    elsewhere.force_login(admin_user)
    response = here.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 9",
            "new_password2": "a brand new passphrase 9",
        },
    )
    assert response["Location"] == "/accounts/password_change/done/"
    assert here.get("/rotations/").status_code == 200
    assert elsewhere.get("/rotations/")["Location"].startswith("/accounts/login/")


def test_the_reset_link_is_on_roster_s_public_address_whatever_host_the_request_named(
    client, admin_user, mailoutbox, settings
):
    settings.PUBLIC_BASE_URL = "https://roster.acme.example"
    settings.ALLOWED_HOSTS = ["*"]
    client.post("/accounts/password_reset/", {"email": admin_user.email}, HTTP_HOST="evil.example")
    (link,) = re.findall(r"https?://\S+", mailoutbox[0].body)
    assert link.startswith("https://roster.acme.example/accounts/reset/")
    assert "evil.example" not in mailoutbox[0].body


def test_reloading_after_creating_a_token_creates_no_second_token(admin_client, org):
    response = admin_client.post("/settings/api-tokens/", {"name": "deploy", "scope": "read"})
    assert (response.status_code, response["Location"]) == (302, "/settings/api-tokens/")
    assert admin_client.get("/settings/api-tokens/").content.decode().count('aria-label="New API token"') == 1
    assert 'aria-label="New API token"' not in admin_client.get("/settings/api-tokens/").content.decode()
    assert ApiToken.objects.filter(organization=org).count() == 1


def test_a_token_support_staff_revoke_in_django_admin_is_in_the_audit_trail(client, org):
    one, _ = api_token_create(organization=org, name="deploy", scope="read")
    two, _ = api_token_create(organization=org, name="cron", scope="read")
    client.force_login(User.objects.create_superuser(email="support@roster.example", password="x"))
    org_page = client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()

    client.post(f"/admin/accounts/apitoken/{one.pk}/delete/", {"post": "yes"})
    client.post("/admin/accounts/apitoken/", {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"})

    assert not ApiToken.objects.exists()
    revoked = AuditEvent.objects.filter(organization=org, action="api_token_revoke")
    assert sorted(revoked.values_list("actor_label", "summary")) == [
        ("support@roster.example", f"Revoked the read API token “cron” (…{two.last4})"),
        ("support@roster.example", f"Revoked the read API token “deploy” (…{one.last4})"),
    ]
    assert 'name="api_tokens-0-DELETE"' not in org_page  # revoked from the token's own page, audited
    assert f"/admin/accounts/apitoken/{one.pk}/change/" in org_page


def test_revoking_a_token_without_the_box_changes_nothing_and_says_why(admin_client, org):
    token, _ = api_token_create(organization=org, name="deploy", scope="admin")
    confirm_refused(admin_client, f"/settings/api-tokens/{token.id}/delete/", f"revoke-token-{token.id}")
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_organizations_admin_page_lists_its_latest_20_audit_events_and_links_to_the_rest(
    staff_client, org, other_org
):
    from accounts.audit import audit_record

    AuditEvent.objects.filter(organization=org).delete()
    for n in range(25):
        audit_record(organization=org, provider="roster", action="test", summary=f"Event number {n:02d}")
    audit_record(organization=other_org, provider="roster", action="test", summary="Globex's event")

    page = staff_client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()

    assert "Event number 24" in page and "Event number 05" in page and "Event number 04" not in page
    link = f"/admin/accounts/auditevent/?organization__id__exact={org.pk}"
    assert f'<a href="{link}">All 25 audit events</a>' in page
    listed = staff_client.get(link).content.decode()
    assert "Event number 00" in listed and "Globex&#x27;s event" not in listed and "Globex's event" not in listed


def test_signing_out_lands_on_the_sign_in_page_saying_so(admin_client):
    page = admin_client.post("/accounts/logout/", follow=True)
    assert page.redirect_chain == [("/accounts/login/", 302)]
    assert "You are signed out." in page.content.decode()
    assert admin_client.get("/settings/integrations/").status_code == 302  # really out


def test_a_wrong_current_password_is_named_as_the_page_labels_it(admin_client):
    response = admin_client.post(
        "/accounts/password_change/",
        {
            "old_password": "not it",
            "new_password1": "a brand new passphrase 9",
            "new_password2": "a brand new passphrase 9",
        },
    )
    page = response.content.decode()
    assert "Your current password was entered incorrectly. Please enter it again." in page
    assert "old password" not in page.lower()


def test_forgot_your_password_while_mail_is_down_answers_as_usual(client, admin_user, mail_down, caplog):
    response = client.post("/accounts/password_reset/", {"email": admin_user.email})
    assert response["Location"] == "/accounts/password_reset/done/"  # as for an address with no account
    assert "Could not email a password reset link: ConnectionRefusedError" in caplog.text
