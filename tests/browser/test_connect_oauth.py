"""Connect with OAuth in a real browser: Roster → a fake PagerDuty identity service on 127.0.0.1 → back."""

import pytest
from playwright.sync_api import expect

from integrations.pagerduty.models import PagerDutyConnection
from tests.browser.conftest import assert_fits, back_on_the_card
from tests.factories import PagerDutyConnectionFactory
from tests.fake_identity import FakeIdentity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_identity(fake_pagerduty, settings, live_server):
    identity = FakeIdentity.install(fake_pagerduty)
    settings.PAGERDUTY_IDENTITY_URL = fake_pagerduty.url
    settings.PUBLIC_BASE_URL = live_server.url
    return identity


def open_oauth_login(page, identity, live_server, *, write_overrides=False):
    page.goto("/settings/integrations/")  # rendered again now that the settings point at the fakes
    card = page.locator("#pagerduty")
    card.get_by_role("link", name="Connect").click()
    page.get_by_role("dialog", name="Connect PagerDuty").get_by_role("link", name="Connect with OAuth").click()
    dialog = page.get_by_role("dialog", name="Connect with OAuth")
    expect(dialog.get_by_test_id("pd-oauth-redirect-url")).to_have_text(
        f"{live_server.url}/api/integrations/pagerduty/login/callback"
    )
    expect(dialog.get_by_test_id("pd-oauth-scopes").locator("code")).to_have_text(
        ["openid", "schedules.read", "teams.read", "users.read", "oncalls.read"]
    )
    assert_fits(page)
    dialog.get_by_label("Client ID").fill(identity.client_id)
    dialog.get_by_label("Client Secret").fill(identity.client_secret)
    expect(dialog.get_by_label("Let Roster write overrides for cover requests")).not_to_be_checked()
    if write_overrides:
        dialog.get_by_label("Let Roster write overrides for cover requests").check()
    dialog.get_by_role("button", name="Connect with OAuth").click()
    expect(page.get_by_role("heading", name="Authorize Roster")).to_be_visible()
    assert page.url.startswith(f"{identity.fake.url}/oauth/authorize?")
    return card


def test_an_admin_connects_with_oauth_by_approving_in_pagerduty(admin_at_width, fake_identity, live_server, admin_user):
    page = admin_at_width
    card = open_oauth_login(page, fake_identity, live_server)

    page.get_by_role("button", name="Approve").click()

    back_on_the_card(page, card, said="PagerDuty connected with OAuth as Earline Greenholt.", status="Active")
    expect(card.get_by_test_id("pd-auth-type")).to_have_text("OAuth 2.0")
    expect(card.get_by_test_id("pd-acting-as")).to_contain_text("Earline Greenholt <earline@acme.example>")
    expect(card.get_by_test_id("pd-subdomain")).to_have_text("acme.pagerduty.com")
    expect(card.get_by_test_id("pd-oauth-scopes-granted")).to_contain_text("schedules.read")
    expect(card.get_by_test_id("pd-capabilities")).to_contain_text("Write overrides: no")
    connection = PagerDutyConnection.objects.get(organization__memberships__user=admin_user)
    assert connection.access_token in fake_identity.fake.valid_keys
    html = page.content()
    for secret in (connection.access_token, connection.refresh_token, fake_identity.client_secret):
        assert secret not in html


def test_letting_roster_write_overrides_asks_for_schedules_write_and_the_card_says_yes(
    admin_at_width, fake_identity, live_server
):
    page = admin_at_width
    card = open_oauth_login(page, fake_identity, live_server, write_overrides=True)
    expect(
        page.get_by_text("Roster asks for: openid schedules.read teams.read users.read oncalls.read schedules.write")
    ).to_be_visible()

    page.get_by_role("button", name="Approve").click()

    back_on_the_card(page, card, said="PagerDuty connected with OAuth as Earline Greenholt.", status="Active")
    expect(card.get_by_test_id("pd-oauth-scopes-granted")).to_contain_text("schedules.write")
    expect(card.get_by_test_id("pd-capabilities")).to_contain_text("Write overrides: yes")


def test_denying_in_pagerduty_lands_back_on_the_card_unconnected(signed_in_page, fake_identity, live_server):
    page = signed_in_page
    card = open_oauth_login(page, fake_identity, live_server)

    page.get_by_role("button", name="Deny").click()

    back_on_the_card(page, card, said="PagerDuty access was denied. Nothing was changed.", status="Not connected")
    assert not PagerDutyConnection.objects.exists()


def test_refresh_connection_re_authorizes_a_connection_that_needs_it(signed_in_page, fake_identity, org):
    from django.utils import timezone

    PagerDutyConnectionFactory(
        organization=org,
        oauth=True,
        status="needs_reauth",
        oauth_client_id=fake_identity.client_id,
        oauth_client_secret=fake_identity.client_secret,
        access_token="pdus+dead-access",
        refresh_token="pdus+dead-refresh",
        token_expires_at=timezone.now(),
        last_error="PagerDuty refused the token refresh (invalid_grant). Click Refresh Connection to sign in to PagerDuty again.",
    )
    page = signed_in_page
    page.goto("/settings/integrations/")
    card = page.locator("#pagerduty")
    expect(card.get_by_test_id("pd-status")).to_have_text("Action needed")

    card.get_by_role("button", name="Refresh Connection").click()
    page.get_by_role("button", name="Approve").click()

    back_on_the_card(page, card, said="PagerDuty connection refreshed: signed in again as Earline", status="Active")
    expect(card.get_by_test_id("pd-acting-as")).to_contain_text("Earline Greenholt")
    connection = PagerDutyConnection.objects.get(organization=org)
    assert connection.refresh_token in fake_identity.refresh_tokens and connection.last_error == ""
