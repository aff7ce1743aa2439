"""End to end in a real browser against a fake PagerDuty API on 127.0.0.1, at 1280 and 390 px: the
Connect dialog offers two choices; the API key one keeps a refused key's error beside its field."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_connects_a_key_with_the_keyboard(admin_at_width, fake_pagerduty):
    page = admin_at_width
    page.goto("/settings/integrations/")
    card = page.locator("#pagerduty")
    expect(card.get_by_test_id("pd-status")).to_have_text("Not connected")

    card.get_by_role("link", name="Connect").focus()
    page.keyboard.press("Enter")
    chooser = page.get_by_role("dialog", name="Connect PagerDuty")
    expect(chooser.get_by_role("link", name="Connect with API Key")).to_be_visible()
    expect(chooser.get_by_role("link", name="Connect with OAuth")).to_be_visible()
    assert_fits(page)
    expect(chooser.get_by_role("link", name="Connect with API Key")).to_be_focused()
    page.keyboard.press("Enter")
    expect(chooser).to_be_hidden()
    dialog = page.get_by_role("dialog", name="Connect with an API key")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("REST API key")).to_be_focused()
    assert_fits(page)

    # A wrong key, submitted with Enter: the dialog comes back open, the error beside the key field,
    # which has the focus again, and the region chosen is kept (the key, a secret, is not).
    dialog.get_by_label("Service region").select_option("eu")
    dialog.get_by_label("REST API key").focus()
    page.keyboard.type("u+notAValidKey99")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Connect with an API key")
    key = dialog.get_by_label("REST API key")
    expect(key).to_be_focused()
    expect(key).to_have_attribute("aria-invalid", "true")
    error = dialog.locator("#pd-connect-api_key_error")
    expect(error).to_contain_text("Unauthorized: Invalid or expired API token")
    assert "pd-connect-api_key_error" in key.get_attribute("aria-describedby")
    expect(key).to_have_value("")
    expect(dialog.get_by_label("Service region")).to_have_value("eu")
    assert_fits(page)

    dialog.get_by_label("Service region").select_option("us")
    key.fill("u+fakeUserKey0001")
    dialog.get_by_role("button", name="Connect with API Key").click()
    expect(page.get_by_role("status")).to_contain_text("PagerDuty connected as Earline Greenholt.")
    expect(card.get_by_test_id("pd-status")).to_have_text("Active")
    expect(card.get_by_test_id("pd-key-last4")).to_have_text("0001")
    expect(card.get_by_test_id("pd-acting-as")).to_contain_text("Earline Greenholt <earline@acme.example>")
    expect(card.get_by_test_id("pd-subdomain")).to_have_text("acme.pagerduty.com")
    assert "u+fakeUserKey0001" not in page.content()
    assert_fits(page)


def test_the_connect_dialog_works_without_javascript(browser, live_server, admin_user, fake_pagerduty):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, admin_user.email)
    page.get_by_role("link", name="Connect").click()
    page.get_by_role("link", name="Connect with API Key").click()
    page.get_by_label("REST API key").fill("u+fakeUserKey0001")
    page.get_by_role("button", name="Connect with API Key").click()
    expect(page.locator("#pagerduty").get_by_test_id("pd-status")).to_have_text("Active")
    context.close()
