"""In Debian's chromium at 1280 and 390 px: PagerDuty sends two signed incident events out of order; a
member (not an admin) opens Incidents from the navigation, filters by status, opens the incident and
reads its timeline, where the older event that arrived last is marked as not applied; and pages
through more than 50 incidents, a status filter kept from page to page."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, deliver_signed, open_menu
from tests.webhooks.conftest import fixture
from webhooks import services as webhooks
from webhooks.models import Incident

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


def shows(page, number: int, incidents) -> None:
    """The Incidents page `number` of 2, listing exactly `incidents` (their numbers), in that order."""
    expect(page.get_by_role("navigation", name="Incident pages")).to_contain_text(f"Page {number} of 2")
    titles = page.get_by_test_id("incidents").locator('td[data-label="Incident"] a')
    expect(titles).to_have_text([f"Incident {n:02}" for n in incidents])


def test_a_member_pages_through_incidents_with_a_status_filter_kept(member_at_width, org):
    """60 incidents, one a minute (every tenth resolved): 50 a page, newest first; Next and Previous
    move between the pages, and a status filter stays on the next page."""
    now = timezone.now()
    for n in range(1, 61):
        Incident.objects.create(
            organization=org,
            pagerduty_id=f"PINC{n:02}",
            number=n,
            title=f"Incident {n:02}",
            status="resolved" if n % 10 == 0 else "triggered",
            pagerduty_created_at=now - dt.timedelta(minutes=n),
            is_stub=False,
        )
    page = member_at_width
    page.goto("/incidents/")
    pager = page.get_by_role("navigation", name="Incident pages")
    shows(page, 1, range(1, 51))
    expect(pager.get_by_role("link", name="Previous")).to_have_count(0)
    assert_fits(page)

    pager.get_by_role("link", name="Next").click()
    shows(page, 2, range(51, 61))  # the older ones
    expect(pager.get_by_role("link", name="Next")).to_have_count(0)
    assert_fits(page)
    pager.get_by_role("link", name="Previous").click()
    shows(page, 1, range(1, 51))

    filters = page.get_by_role("form", name="Filter incidents")
    filters.get_by_label("Status").select_option("triggered")
    filters.get_by_role("button", name="Filter").click()
    triggered = [n for n in range(1, 61) if n % 10]  # 54
    shows(page, 1, triggered[:50])
    pager.get_by_role("link", name="Next").click()
    shows(page, 2, triggered[50:])  # 56 to 59: 60 is resolved
    expect(filters.get_by_label("Status")).to_have_value("triggered")
    expect(page.get_by_test_id("incidents")).not_to_contain_text("resolved")
    assert_fits(page)
    pager.get_by_role("link", name="Previous").click()
    shows(page, 1, triggered[:50])
    expect(filters.get_by_label("Status")).to_have_value("triggered")


def test_each_filter_s_label_stays_on_the_line_of_its_list(member_at_width, org):
    """On a phone the filters wrap: a label never ends one line with its list starting the next."""
    for n, service in enumerate(("Checkout API", "Database", "Payments for the European web shop and mobile apps")):
        Incident.objects.create(organization=org, pagerduty_id=f"PSVC{n}", service_id=f"PS{n}", service_name=service)
    page = member_at_width
    page.goto("/incidents/")
    filters = page.get_by_role("form", name="Filter incidents")
    for name in ("Status", "Service"):
        label = filters.locator("label", has_text=name).bounding_box()
        field = filters.get_by_label(name).bounding_box()
        middle = label["y"] + label["height"] / 2
        assert field["y"] <= middle <= field["y"] + field["height"], f"{name}: label {label}, list {field}"
    assert_fits(page)
