"""In Debian's chromium: an admin copies the webhook URL, saves a signing secret with the keyboard,
and a signed delivery then shows on the card."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import deliver_signed
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
