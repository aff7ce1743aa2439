"""In Debian's chromium, on a phone and a desktop: an admin creates a token with the write scope and
an expiry on Settings → API tokens, copies it once, and the list shows its scope and expiry."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_an_admin_creates_a_write_token_that_expires(signed_in_page, live_server, client, width):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/settings/api-tokens/")
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_label("Read: read what members may read", exact=False)).to_be_checked()

    page.get_by_label("Token name").fill("CI deploy")
    page.get_by_label("Write: read, and create, change, sync and delete rotations.").check()
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()

    raw = page.get_by_label("New API token").input_value()
    token = ApiToken.objects.get()
    assert (token.scope, raw[-4:]) == ("write", token.last4)
    row = page.get_by_test_id("tokens").get_by_role("row").filter(has_text="CI deploy")
    expect(row).to_contain_text("Write")
    expect(row).to_contain_text(token.expires_at.strftime("%Y-%m-%d"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    response = client.get("/api/integrations/pagerduty/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.json()["requiredScope"] == "admin"

    page.reload()  # shown once
    expect(page.get_by_label("New API token")).to_have_count(0)
