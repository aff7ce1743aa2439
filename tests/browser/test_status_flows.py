"""In Debian's chromium at 1280 and 390 px wide (no page wider than the window): switching an API
key connection to OAuth keeps rotations bound; after a disconnect, a rotation follows its schedule
again in one click; the cards tell Degraded (nothing to do) from Action needed."""

import pytest
from playwright.sync_api import expect

from integrations.pagerduty.models import PagerDutyConnection
from integrations.slack.models import SlackConnection
from rotations.models import Rotation
from rotations.services import rotation_create
from tests.browser.conftest import signed_in
from tests.fake_identity import FakeIdentity
from tests.rotations.fake_schedules import FakeSchedule, install

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]
KEY = "u+fakeUserKey0001"  # a key the fake PagerDuty accepts (account "acme")


def fits(page) -> None:
    """Nothing scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def wide(request, signed_in_page):
    signed_in_page.set_viewport_size({"width": request.param, "height": 900})
    return signed_in_page


def connect_with_key(org) -> PagerDutyConnection:
    return PagerDutyConnection.objects.create(
        organization=org, auth_type="api_key", api_key=KEY, key_last4=KEY[-4:], account_subdomain="acme"
    )


def bound_rotation(org, name="Primary") -> Rotation:
    rotation = rotation_create(
        organization=org, name=name, time_zone="UTC", members=[("Zed Quinn", "zed@acme.example")]
    )
    Rotation.objects.filter(pk=rotation.pk).update(
        pagerduty_schedule_id="PI7DH85",
        pagerduty_schedule_name="Daily Engineering Rotation",
        pagerduty_schedule_kind="v2",
    )
    return rotation


def test_switching_an_api_key_to_oauth_keeps_rotations_bound(wide, org, fake_pagerduty, settings, live_server):
    identity = FakeIdentity.install(fake_pagerduty)
    settings.PAGERDUTY_IDENTITY_URL = fake_pagerduty.url
    settings.PUBLIC_BASE_URL = live_server.url
    connect_with_key(org)
    rotation = bound_rotation(org)
    page = wide

    page.goto("/settings/integrations/")
    card = page.locator("#pagerduty")
    fits(page)
    card.get_by_role("link", name="Switch to OAuth").click()
    dialog = page.get_by_role("dialog", name="Switch to OAuth")
    expect(dialog).to_be_visible()
    fits(page)
    dialog.get_by_label("Client ID").fill(identity.client_id)
    dialog.get_by_label("Client Secret").fill(identity.client_secret)
    dialog.get_by_role("button", name="Continue to PagerDuty").click()
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url("**/settings/integrations/")
    expect(page.get_by_role("status").first).to_contain_text("Switched to OAuth as Earline Greenholt.")
    expect(card.get_by_test_id("pd-auth-type")).to_have_text("OAuth 2.0")
    expect(card.get_by_test_id("pd-status")).to_have_text("Active")
    expect(card.get_by_test_id("pd-rotations")).to_contain_text("1 rotation follows PagerDuty schedules")
    fits(page)
    rotation.refresh_from_db()
    assert rotation.pagerduty_schedule_id == "PI7DH85"


def test_after_a_disconnect_a_rotation_follows_its_schedule_again(wide, org, fake_pagerduty):
    install(
        fake_pagerduty,
        schedules={"PI7DH85": FakeSchedule(users=["PZED004"], turn_hours=24 * 365, name="Daily Engineering Rotation")},
        users={"PZED004": ("Zed Quinn", "zed@acme.example")},
    )
    connect_with_key(org)
    rotation = bound_rotation(org)
    page = wide

    page.goto("/settings/integrations/")
    page.locator("#pagerduty").get_by_role("link", name="Disconnect").click()
    dialog = page.get_by_role("dialog", name="Disconnect PagerDuty?")
    expect(dialog).to_contain_text("“Primary” follows a PagerDuty schedule and will return to its own cadence")
    fits(page)
    dialog.get_by_label("Yes, disconnect PagerDuty").check()
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status").first).to_contain_text("1 rotation returned to its own cadence.")

    page.goto(f"/rotations/{rotation.pk}/")
    expect(page.get_by_test_id("follow-again")).to_contain_text("Connect PagerDuty again")
    fits(page)

    connect_with_key(org)  # an admin connects again (the Connect dialog has its own tests)
    page.reload()
    page.get_by_role("button", name="Follow Daily Engineering Rotation again").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Following the PagerDuty schedule “Daily Engineering Rotation” again."
    )
    expect(page.get_by_test_id("now-on-call")).to_contain_text("Zed Quinn")
    expect(page.get_by_test_id("follow-again")).to_have_count(0)
    fits(page)


def test_the_card_tells_degraded_from_action_needed(wide, org, member_user, browser, live_server):
    connection = connect_with_key(org)
    connection.last_error = "PagerDuty is having trouble (HTTP 503). Try again in a minute."
    connection.last_error_code = "pagerduty_unavailable"
    connection.save()
    page = wide

    page.goto("/settings/integrations/")
    card = page.locator("#pagerduty")
    expect(card.get_by_test_id("pd-status")).to_have_text("Degraded")
    expect(card.get_by_test_id("pd-health")).to_contain_text("Roster retries automatically; nothing to do.")
    expect(card.get_by_test_id("pd-health-action")).to_have_count(0)
    fits(page)

    slack_down = "Slack answered with an error (HTTP 503); Roster will try again."
    SlackConnection.objects.create(
        organization=org, team_id="T0ACME", bot_token="xoxb-1", last_error=slack_down, last_error_transient=True
    )
    page.reload()
    expect(page.locator("#slack").get_by_test_id("slack-status")).to_have_text("Degraded")
    expect(page.locator("#slack").get_by_test_id("slack-error")).to_contain_text(f"Degraded: {slack_down}")
    fits(page)

    connection.status = "invalid"
    connection.last_error = "Unauthorized: Invalid or expired API token."
    connection.last_error_code = "pagerduty_unauthorized"
    connection.save()
    page.reload()
    expect(card.get_by_test_id("pd-status")).to_have_text("Action needed")
    card.get_by_test_id("pd-health-action").get_by_role("link", name="Replace the API key").click()
    expect(page.get_by_role("dialog", name="Edit API Key")).to_be_visible()
    fits(page)

    # A member sees who can fix it, and no button.
    context = browser.new_context(base_url=live_server.url, viewport=page.viewport_size)
    member = context.new_page()
    signed_in(member, member_user, live_server.url)
    member.goto("/settings/integrations/")
    expect(member.get_by_test_id("pd-health-fixers")).to_have_text(
        "Only an admin can fix this: ask admin@acme.example."
    )
    expect(member.get_by_test_id("pd-health-action")).to_have_count(0)
    fits(member)
    context.close()
