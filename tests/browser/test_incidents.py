"""In Debian's chromium at 1280 and 390 px: PagerDuty sends two signed incident events out of order; a
member (not an admin) opens Incidents from the navigation, filters by status, opens the incident and
reads its timeline, where the older event that arrived last is marked as not applied."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, deliver_signed, open_menu
from tests.webhooks.conftest import fixture
from webhooks import services as webhooks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "whsec-IncidentsFlowSecret-7c1d"


def deliver(page, endpoint: str, name: str, webhook_id: str) -> None:
    """PagerDuty's example event `incident.<name>`, signed, as PagerDuty sends it."""
    body = json.dumps(fixture(f"incident.{name}")).encode()
    deliver_signed(page, endpoint, body, secret=SECRET, webhook_id=webhook_id)


def test_a_member_finds_an_incident_by_status_and_reads_its_timeline(member_at_width, org):
    webhooks.webhook_secret_add(organization=org, secret=SECRET)
    endpoint = webhooks.endpoint_for(org).public_id
    page = member_at_width
    # The acknowledgement first, then the older trigger: PagerDuty does not promise the order.
    deliver(page, endpoint, "acknowledged", "wh-ack")
    deliver(page, endpoint, "triggered", "wh-trig")

    page.goto("/rotations/")
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    table = page.get_by_test_id("incidents")
    expect(table).to_contain_text("A little bump in the road")
    expect(table).to_contain_text("acknowledged")
    expect(table).to_contain_text("API Service")
    assert_fits(page)

    filters = page.get_by_role("form", name="Filter incidents")
    filters.get_by_label("Status").select_option("resolved")
    filters.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No incidents match.")).to_be_visible()
    filters.get_by_label("Status").select_option("acknowledged")
    filters.get_by_role("button", name="Filter").click()
    expect(table).to_contain_text("A little bump in the road")
    assert_fits(page)

    table.get_by_role("link", name="A little bump in the road", exact=True).click()
    expect(page.get_by_role("heading", name="#2 A little bump in the road")).to_be_visible()
    expect(page.get_by_test_id("incident-status")).to_have_text("acknowledged")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_role("listitem")).to_have_count(2)
    late = timeline.get_by_role("listitem").filter(has_text="incident.triggered")
    expect(late).to_contain_text("arrived after a newer event; not applied")
    expect(timeline.get_by_role("listitem").filter(has_text="incident.acknowledged")).not_to_contain_text("not applied")
    assert_fits(page)

    page.get_by_role("link", name="← Incidents").click()
    expect(page.get_by_role("link", name="Clear")).to_have_count(0)
    expect(table).to_contain_text("A little bump in the road")
