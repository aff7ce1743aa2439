"""In Debian's chromium: an admin copies the webhook URL, saves a signing secret with the keyboard,
and a signed delivery then shows on the card; at 1280 and 390 px, Roster creates the subscription in
PagerDuty (the fake), PagerDuty's deliveries signed with its secret are taken, and Recreate replaces it."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, deliver_signed
from tests.factories import PagerDutyConnectionFactory
from tests.webhooks.conftest import fixture
from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "whsec-BrowserTestSecret-42ab"


def test_an_admin_sets_up_the_webhook_from_the_card(signed_in_page, org, live_server):
    page = signed_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/settings/integrations/")
    webhook_url = page.get_by_label("Webhook URL").input_value()
    endpoint = WebhookEndpoint.objects.get(organization=org)
    assert webhook_url.endswith(f"/webhooks/pagerduty/{endpoint.public_id}/")

    page.get_by_role("button", name="Copy").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == webhook_url

    page.get_by_role("link", name="Add signing secret").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add signing secret")
    expect(dialog).to_be_visible()
    page.keyboard.type(SECRET)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("ending in 42ab")
    assert SECRET not in page.content()

    body = json.dumps(
        {
            "event": {
                "id": "01ping",
                "event_type": "pagey.ping",
                "resource_type": "pagey",
                "occurred_at": "2026-11-23T10:00:00Z",
                "agent": None,
                "client": None,
                "data": {"message": "Hello from your friend Pagey!", "type": "ping"},
            }
        }
    ).encode()
    deliver_signed(page, endpoint.public_id, body, secret=SECRET, webhook_id="wh-1")
    page.reload()
    expect(page.locator("#pagerduty")).to_contain_text("test received at")


def test_roster_creates_the_pagerduty_subscription_and_its_secret_verifies_deliveries(
    admin_at_width, org, fake_pagerduty
):
    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    endpoint = WebhookEndpoint.objects.get_or_create(organization=org)[0].public_id
    page = admin_at_width
    page.goto("/settings/integrations/")
    page.get_by_role("button", name="Create the subscription for me").click()
    expect(page.get_by_role("status")).to_contain_text(
        "PagerDuty subscription PSUB001 created; its signing secret (ending in zZ9q) is saved."
    )
    expect(page.get_by_test_id("wh-subscription")).to_contain_text("Subscription PSUB001 active")
    assert_fits(page)
    made = fake_pagerduty.webhook_subscriptions["PSUB001"]
    assert made["delivery_method"]["url"].endswith(f"/webhooks/pagerduty/{endpoint}/")
    assert made["secret"] not in page.content()

    # PagerDuty signs with the secret it made; Roster verifies with the one it saved.
    body = json.dumps(fixture("incident.triggered")).encode()
    deliver_signed(page, endpoint, body, secret=made["secret"], webhook_id="wh-sub-1")
    page.goto("/incidents/")
    expect(page.get_by_test_id("incidents")).to_contain_text("A little bump in the road")

    page.goto("/settings/integrations/")
    page.get_by_role("button", name="Recreate").click()
    expect(page.get_by_role("status")).to_contain_text(
        "PagerDuty subscription PSUB002 created; its signing secret (ending in zZ9q) is saved. "
        "Deleted the subscription it replaces (PSUB001) and its secret."
    )
    assert list(fake_pagerduty.webhook_subscriptions) == ["PSUB002"]
    assert_fits(page)


def test_a_subscription_turned_off_in_pagerduty_is_named_and_recreate_replaces_it(admin_at_width, org, fake_pagerduty):
    from webhooks import tasks

    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    endpoint = WebhookEndpoint.objects.get_or_create(organization=org)[0]
    page = admin_at_width
    page.goto("/settings/integrations/")
    page.get_by_role("button", name="Create the subscription for me").click()
    expect(page.get_by_test_id("wh-subscription")).to_contain_text("Subscription PSUB001 active")

    fake_pagerduty.webhook_subscriptions["PSUB001"]["active"] = False  # an admin turned it off in PagerDuty
    tasks.check_subscription(endpoint.pk)  # the daily check
    page.reload()
    expect(page.get_by_test_id("wh-subscription")).to_contain_text("Subscription PSUB001 turned off")
    expect(page.get_by_test_id("wh-subscription-off")).to_have_text(
        "PagerDuty's subscription PSUB001 is turned off, so PagerDuty sends Roster nothing. "
        "Turn it on in PagerDuty (Integrations → Generic Webhooks (v3)), or click Recreate."
    )
    assert_fits(page)
    assert fake_pagerduty.webhook_subscriptions["PSUB001"]["active"] is False  # Roster left it off

    page.get_by_role("button", name="Recreate").click()
    expect(page.get_by_test_id("wh-subscription")).to_contain_text("Subscription PSUB002 active")
    expect(page.get_by_test_id("wh-subscription-off")).to_have_count(0)
