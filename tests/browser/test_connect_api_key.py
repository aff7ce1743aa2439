"""End to end in a real browser against a fake PagerDuty API on 127.0.0.1."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_connects_a_key_with_the_keyboard(signed_in_page, fake_pagerduty):
    page = signed_in_page
    card = page.locator("#pagerduty")
    expect(card.get_by_test_id("pd-status")).to_have_text("Not connected")

    card.get_by_role("link", name="Connect").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Connect PagerDuty")
    expect(dialog).to_be_visible()
    # The key field has focus; type a wrong key first, then submit with Enter.
    page.keyboard.type("u+notAValidKey99")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Connect PagerDuty")).to_contain_text(
        "Unauthorized: Invalid or expired API token"
    )

    page.get_by_label("REST API key").fill("u+fakeUserKey0001")
    page.get_by_role("button", name="Connect with API Key").click()
    expect(page.get_by_role("status")).to_contain_text("PagerDuty connected as Earline Greenholt.")
    expect(card.get_by_test_id("pd-status")).to_have_text("Active")
    expect(card.get_by_test_id("pd-key-last4")).to_have_text("0001")
    expect(card.get_by_test_id("pd-acting-as")).to_contain_text("Earline Greenholt <earline@acme.example>")
    expect(card.get_by_test_id("pd-subdomain")).to_have_text("acme.pagerduty.com")
    assert "u+fakeUserKey0001" not in page.content()


def test_the_connect_dialog_works_without_javascript(browser, live_server, admin_user, fake_pagerduty):
    from tests.conftest import PASSWORD

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(admin_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Connect").click()
    page.get_by_label("REST API key").fill("u+fakeUserKey0001")
    page.get_by_role("button", name="Connect with API Key").click()
    expect(page.locator("#pagerduty").get_by_test_id("pd-status")).to_have_text("Active")
    context.close()
