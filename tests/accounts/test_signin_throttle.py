"""Sign-in cannot be brute-forced: after ROSTER_LOGIN_FAILURE_LIMIT (5) failed sign-ins for an account
or from an address within ROSTER_LOGIN_COOLOFF_MINUTES (15), sign-in is refused, even with the right
password, on the sign-in page itself saying when to try again. The admin login and password-reset
requests are throttled too, and weak passwords are refused where passwords are set."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from accounts import services
from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
LOGIN = "/accounts/login/"
WRONG = "not my password at all"
DIDNT_MATCH = "Your email and password didn't match."


def sign_in(client, email, password, address="192.0.2.10", **headers):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(client) -> bool:
    return client.get("/settings/integrations/").status_code == 200


def fail(client, times, email="admin@acme.example", address="192.0.2.10"):
    for _ in range(times):
        sign_in(client, email, WRONG, address)


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_cool_off_ends(client, admin_user):
    with time_machine.travel(NOON, tick=False) as traveller:
        for _ in range(4):
            page = sign_in(client, admin_user.email, WRONG)
            assert page.status_code == 200 and DIDNT_MATCH in page.content.decode()

        fifth = sign_in(client, admin_user.email, WRONG)
        assert fifth.status_code == 429
        assert (
            "Too many failed sign-ins for this account. Try again after 20:15 UTC (in 15 minutes)."
            in fifth.content.decode()
        )
        assert DIDNT_MATCH not in fifth.content.decode()
        assert 'name="username"' in fifth.content.decode()  # the sign-in page itself, not a bare error

        traveller.shift(timedelta(minutes=6, seconds=20))
        right = sign_in(client, admin_user.email, PASSWORD)
        assert right.status_code == 429
        assert "Try again after 20:15 UTC (in 9 minutes)." in right.content.decode()
        assert not signed_in(client)

        traveller.shift(timedelta(minutes=8, seconds=40))  # 20:15: not yet
        assert sign_in(client, admin_user.email, PASSWORD).status_code == 429
        traveller.shift(timedelta(seconds=1))  # after 20:15
        response = sign_in(client, admin_user.email, PASSWORD)
        assert (response.status_code, response["Location"]) == (302, "/settings/integrations/")
        assert signed_in(client)


def test_the_lock_counts_failures_for_the_account_however_its_email_is_typed(client, admin_user):
    for spelling in ["Admin@Acme.example", " admin@acme.example", "ADMIN@ACME.EXAMPLE", "admin@acme.Example"]:
        sign_in(client, spelling, WRONG)
    assert sign_in(client, "admin@acme.example", WRONG).status_code == 429


def test_a_successful_sign_in_before_the_limit_starts_the_count_again(client, admin_user):
    fail(client, 4)
    assert sign_in(client, admin_user.email, PASSWORD).status_code == 302
    client.logout()
    fail(client, 4)
    assert sign_in(client, admin_user.email, PASSWORD).status_code == 302
    client.logout()
    fail(client, 5)
    assert sign_in(client, admin_user.email, PASSWORD).status_code == 429


def test_signing_in_to_ones_own_account_does_not_reset_guesses_at_someone_elses(client, admin_user, member_user):
    for _ in range(2):
        fail(client, 2, email=member_user.email, address="198.51.100.66")
        assert sign_in(client, admin_user.email, PASSWORD, address="198.51.100.66").status_code == 302
        client.logout()
    # Four failures against the member so far, and the address has had successes in between.
    page = sign_in(client, member_user.email, WRONG, address="198.51.100.66")
    assert page.status_code == 429
    assert "for this account" in page.content.decode()


def test_one_address_guessing_at_many_accounts_is_locked_out_but_other_addresses_are_not(client, admin_user):
    for n in range(5):
        sign_in(client, f"someone{n}@acme.example", WRONG, address="203.0.113.9")
    page = sign_in(client, admin_user.email, PASSWORD, address="203.0.113.9")
    assert page.status_code == 429
    assert "Too many failed sign-ins from your network. Try again after" in page.content.decode()
    assert not signed_in(client)

    assert sign_in(client, admin_user.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_guesses_at_one_account_from_many_addresses_lock_that_account(client, admin_user):
    for n in range(5):
        sign_in(client, admin_user.email, WRONG, address=f"198.51.100.{n + 1}")
    page = sign_in(client, admin_user.email, PASSWORD, address="192.0.2.200")
    assert page.status_code == 429
    assert "for this account" in page.content.decode()


def test_a_forwarded_for_header_does_not_change_the_address_unless_a_proxy_is_configured(client, admin_user):
    for n in range(5):
        sign_in(client, f"someone{n}@acme.example", WRONG, "203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert (
        sign_in(client, admin_user.email, PASSWORD, "203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    )


def test_an_operator_who_forgot_to_configure_the_proxy_is_warned_once(client, admin_user, monkeypatch, caplog):
    monkeypatch.setattr("accounts.signin._warned_about_proxy", False)
    sign_in(client, "someone@acme.example", WRONG, "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    sign_in(client, "someone@acme.example", WRONG, "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    warnings = [r.getMessage() for r in caplog.records if "ROSTER_TRUSTED_PROXY_COUNT is 0" in r.getMessage()]
    assert len(warnings) == 1
    assert "every client has the proxy's address" in warnings[0]


def test_behind_a_configured_proxy_the_address_is_the_one_the_proxy_saw(client, admin_user, settings):
    settings.ROSTER_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for n in range(5):  # the attacker writes any address on the left; the proxy appends the real one
        sign_in(client, f"someone{n}@acme.example", WRONG, proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9")
    refused = sign_in(client, admin_user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9")
    assert refused.status_code == 429
    allowed = sign_in(client, admin_user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert allowed.status_code == 302


def test_support_sees_the_locked_account_in_the_admin_and_unlocks_it_with_axes_reset(client, admin_user):
    fail(client, 5)
    assert sign_in(client, admin_user.email, PASSWORD).status_code == 429
    support = Client()
    support.force_login(User.objects.create_superuser(email="support@roster.example", password=PASSWORD))
    listing = support.get("/admin/axes/accessattempt/").content.decode()
    assert "admin@acme.example" in listing and "192.0.2.10" in listing
    assert WRONG not in listing
    call_command("axes_reset_username", admin_user.email)
    assert sign_in(client, admin_user.email, PASSWORD).status_code == 302


def test_setting_a_new_password_from_the_emailed_link_lifts_the_lock(client, admin_user, mailoutbox):
    fail(client, 5)
    assert reset(client, admin_user.email).status_code == 302
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    new_password = "a brand new passphrase 2026"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done["Location"] == "/accounts/reset/done/"
    assert sign_in(client, admin_user.email, new_password).status_code == 302


def test_the_admin_login_is_throttled_and_says_when_to_try_again(client):
    support = User.objects.create_superuser(email="support@roster.example", password=PASSWORD)
    with time_machine.travel(NOON, tick=False):
        for _ in range(5):
            page = client.post("/admin/login/?next=/admin/", {"username": support.email, "password": WRONG})
        assert page.status_code == 429
        assert "Too many failed sign-ins for this account. Try again after 20:15 UTC" in page.content.decode()
        assert 'id="login-form"' in page.content.decode()
        refused = client.post("/admin/login/?next=/admin/", {"username": support.email, "password": PASSWORD})
        assert refused.status_code == 429
        assert client.get("/admin/").status_code == 302  # still signed out


def reset(client, email, address="192.0.2.10"):
    return client.post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=address)


def test_password_reset_requests_for_one_email_are_limited_and_say_when_to_try_again(client, admin_user, mailoutbox):
    with time_machine.travel(NOON, tick=False) as traveller:
        for n in range(5):
            assert reset(client, admin_user.email, address=f"198.51.100.{n + 1}").status_code == 302
        assert len(mailoutbox) == 5

        refused = reset(client, "Admin@Acme.example", address="192.0.2.77")
        assert refused.status_code == 429
        text = refused.content.decode()
        assert "Too many password-reset requests for this email or from your network." in text
        minutes = int(
            re.search(r"Try again after (?:\d{4}-\d\d-\d\d )?\d\d:\d\d UTC \(in (\d+) minutes?\)\.", text).group(1)
        )
        assert 1 <= minutes <= 15
        assert len(mailoutbox) == 5

        traveller.shift(timedelta(minutes=minutes))
        assert reset(client, admin_user.email).status_code == 302
        assert len(mailoutbox) == 6


def test_password_reset_requests_from_one_address_are_limited(client, admin_user, mailoutbox):
    for n in range(5):
        assert reset(client, f"someone{n}@acme.example", address="203.0.113.9").status_code == 302
    assert reset(client, admin_user.email, address="203.0.113.9").status_code == 429
    assert mailoutbox == []
    assert reset(client, admin_user.email, address="198.51.100.7").status_code == 302
    assert len(mailoutbox) == 1


def test_password_reset_still_works_when_the_shared_cache_is_down(client, admin_user, mailoutbox, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"retry": None},
        }
    }
    assert reset(client, admin_user.email).status_code == 302
    assert len(mailoutbox) == 1
    assert "Password-reset throttling is off: the cache is unavailable" in caplog.text


def new_account(client, org, email, **fields):
    invitation = services.invitation_create(organization=org, email=email, role="member")
    client.logout()
    return client.post(invitation.accept_url.removeprefix("https://roster.example.com"), fields)


@pytest.mark.parametrize(
    ("email", "password", "refusal"),
    [
        ("nia@acme.example", "6183927450", "This password is entirely numeric."),
        ("nia.newton@acme.example", "nia.newton@acme", "The password is too similar to the email address."),
        ("nia@acme.example", "Newtonnewton", "The password is too similar to the last name."),
    ],
)
def test_a_new_account_cannot_have_a_numeric_password_or_one_like_the_persons_name(
    client, org, email, password, refusal
):
    page = new_account(client, org, email, first_name="Nia", last_name="Newtonnewton", password=password)
    assert refusal in page.content.decode()
    assert not User.objects.filter(email=email).exists()
