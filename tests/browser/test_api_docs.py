"""In Debian's chromium: a script author reads /api/docs/ on a phone and on a laptop, without
signing in, and follows the contents to an operation and its example response."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_api_docs_page_reads_at_phone_and_laptop_widths_without_sideways_scroll(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    refused = []  # what a Content-Security-Policy blocks ("Refused to apply inline style ...")
    page.on("console", lambda message: refused.append(message.text) if "Refused to" in message.text else None)

    page.goto("/api/docs/")

    expect(page.get_by_role("heading", name="Roster JSON API")).to_be_visible()
    expect(page.get_by_role("link", name="/api/schema/", exact=True)).to_be_visible()
    contents = page.get_by_role("navigation", name="API contents")
    contents.get_by_role("link", name="PATCH /api/rotations/{rotation_id}/", exact=True).click()
    operation = page.locator("#updateRotation")
    expect(operation).to_be_in_viewport()
    expect(operation.get_by_role("heading", name="PATCH /api/rotations/{rotation_id}/", exact=True)).to_be_visible()
    expect(operation).to_contain_text("rotation_id")
    expect(operation.get_by_role("definition").filter(has_text="An IANA time zone.")).to_be_visible()
    operation.get_by_text("application/json · Rotation", exact=True).click()
    expect(operation.get_by_label("Example 200 response")).to_contain_text('"timeZone": "Europe/London"')
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert refused == []
