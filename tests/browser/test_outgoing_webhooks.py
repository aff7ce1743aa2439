"""In Debian's chromium, on a phone and a desktop: an admin adds a webhook endpoint on Settings →
Webhooks, copies its signing secret (shown once), sends a test event to a local receiver that
verifies the signature, and sees it delivered in the log; edits its events and description (a refused
URL reopens the Edit dialog with the values kept); resends an event the endpoint refused, disables
and enables the endpoint, and deletes it after confirming."""

import re

import pytest
from playwright.sync_api import expect

from outgoing import services
from outgoing.models import Endpoint
from tests.browser.conftest import assert_fits
from tests.outgoing import receiver as receiver_mod

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.DEBUG = True  # the local receiver speaks http
    server, rec = receiver_mod.start()
    yield rec
    server.shutdown()
    server.server_close()


def test_an_admin_adds_an_endpoint_and_sends_a_test_event(admin_at_width, receiver):
    page = admin_at_width
    page.goto("/settings/integrations/")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    assert_fits(page)

    page.get_by_role("link", name="Add endpoint").click()
    dialog = page.get_by_role("dialog", name="Add a webhook endpoint")
    dialog.get_by_label("URL").fill("https://169.254.169.254/latest")
    dialog.get_by_label("rotation.handoff", exact=False).check()
    dialog.get_by_role("button", name="Add endpoint").click()
    dialog = page.get_by_role("dialog", name="Add a webhook endpoint")
    expect(dialog.get_by_text("169.254.169.254 is a link-local address", exact=False)).to_be_visible()
    assert dialog.get_by_label("URL").get_attribute("aria-invalid") == "true"
    assert_fits(page)

    dialog.get_by_label("URL").fill(receiver.url)
    dialog.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("Signing secret").input_value()
    endpoint = Endpoint.objects.get()
    assert secret.startswith("whsec_") and secret == endpoint.secret
    expect(page.get_by_text(f"ends in {secret[-4:]}")).to_be_visible()
    assert_fits(page)

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("A test event is on its way")).to_be_visible()
    (body,) = receiver.verified(secret)
    assert body["type"] == "webhook.test"
    page.reload()  # the secret was shown once; the log shows the delivery
    expect(page.get_by_label("Signing secret")).to_have_count(0)
    row = page.get_by_test_id("deliveries").get_by_role("row").filter(has_text="webhook.test")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("204")
    assert_fits(page)


def test_too_many_test_events_say_when_to_try_again_beside_the_button(admin_at_width, org, receiver):
    """The sixth within a minute (5 per organization): the page again (429) with the sentence by the button."""
    endpoint, _ = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    page = admin_at_width
    page.goto(f"/settings/webhooks/{endpoint.pk}/")
    for _ in range(5):
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
    page.get_by_role("button", name="Send test event").click()
    refused = page.get_by_role("alert").filter(has_text="Too many test events: try again in")
    expect(refused).to_be_visible()
    expect(refused).to_have_text(re.compile(r"Too many test events: try again in \d+ seconds\."))
    expect(page.get_by_role("button", name="Send test event")).to_have_attribute("aria-describedby", "test-refused")
    assert len(receiver.received) == 5
    assert_fits(page)


def test_an_admin_resends_a_refused_event_disables_and_deletes_the_endpoint(admin_at_width, org, receiver):
    endpoint, _ = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    receiver.answers.append((400, {}))  # the customer's endpoint refuses the first request
    page = admin_at_width
    page.goto(f"/settings/webhooks/{endpoint.pk}/")
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("A test event is on its way")).to_be_visible()  # the POST's page, before reloading
    page.reload()
    log = page.get_by_test_id("deliveries")
    refused = log.get_by_role("row").filter(has_text="webhook.test")
    expect(refused).to_contain_text("400")
    expect(refused).not_to_contain_text("Delivered")
    assert_fits(page)

    refused.get_by_role("button", name=re.compile(r"^Resend webhook\.test ")).click()
    expect(page.get_by_role("status")).to_contain_text("is being sent again.")
    page.reload()
    expect(log.get_by_role("row").filter(has_text="Delivered")).to_contain_text("204")
    assert len(receiver.received) == 2

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("Disabled: nothing is sent to it.")
    expect(page.get_by_test_id("endpoint-status")).to_contain_text("Disabled")
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_test_id("endpoint-status")).to_contain_text("Enabled")

    page.get_by_role("link", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this endpoint?")
    assert_fits(page)
    dialog.get_by_text("Yes, delete the endpoint").click()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"The endpoint {receiver.url} was deleted")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    assert not Endpoint.objects.exists()


def test_an_admin_edits_an_endpoint_and_a_refused_url_reopens_the_dialog(admin_at_width, org, receiver):
    """Webhooks → the endpoint → Edit: new events and description saved, the secret unchanged (its last 4);
    a refused URL brings the page back with the dialog open, the values kept and the error by the URL."""
    endpoint, secret = services.endpoint_create(
        organization=org, url=receiver.url, events=["rotation.handoff"], description="Ops bot"
    )
    page = admin_at_width
    page.goto("/settings/webhooks/")
    page.get_by_role("link", name=receiver.url).click()
    expect(page.get_by_role("heading", name=receiver.url)).to_be_visible()
    expect(page.get_by_text(f"ends in {secret[-4:]}")).to_be_visible()

    page.get_by_role("link", name="Edit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit the endpoint")
    expect(dialog.get_by_label("URL")).to_have_value(receiver.url)
    expect(dialog.get_by_label("rotation.handoff", exact=False)).to_be_checked()
    expect(dialog.get_by_label("Description")).to_have_value("Ops bot")
    assert_fits(page)
    dialog.get_by_label("rotation.handoff", exact=False).uncheck()
    dialog.get_by_label("cover_request.taken", exact=False).check()
    dialog.get_by_label("Description").fill("Cover bot")
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("The endpoint is saved.")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("cover_request.taken")
    expect(facts).not_to_contain_text("rotation.handoff")
    expect(facts).to_contain_text("Cover bot")
    expect(page.get_by_text(f"ends in {secret[-4:]}")).to_be_visible()
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.description, endpoint.secret) == (["cover_request.taken"], "Cover bot", secret)
    assert_fits(page)

    page.get_by_role("link", name="Edit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit the endpoint")
    dialog.get_by_label("URL").fill("https://169.254.169.254/latest")
    dialog.get_by_label("cover_request.expired", exact=False).check()
    dialog.get_by_label("Description").fill("Cover bot, expiries too")
    dialog.get_by_role("button", name="Save").click()

    dialog = page.get_by_role("dialog", name="Edit the endpoint")
    expect(dialog).to_be_visible()  # the page again, the dialog open
    url = dialog.get_by_label("URL")
    expect(url).to_have_value("https://169.254.169.254/latest")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(url).to_have_attribute("aria-describedby", re.compile(r"\bid_url_error\b"))
    expect(dialog.locator("#id_url_error")).to_contain_text("169.254.169.254 is a link-local address")
    expect(dialog.get_by_label("cover_request.taken", exact=False)).to_be_checked()
    expect(dialog.get_by_label("cover_request.expired", exact=False)).to_be_checked()
    expect(dialog.get_by_label("Description")).to_have_value("Cover bot, expiries too")
    assert_fits(page)
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == (receiver.url, ["cover_request.taken"])
