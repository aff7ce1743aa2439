"""In Debian's chromium at 1280 and 390 px: a person who forgot their password asks for a link from the
sign-in page, follows the emailed link, is told when the two passwords differ, sets a new one, signs in
with it, and finds the link used up afterwards. Every page is Roster's, not Django admin's."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a fresh and long passphrase 42"


def test_a_person_sets_a_new_password_from_the_emailed_link(page_at_width, admin_user, mailoutbox):
    page = page_at_width
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_text("Django administration")).to_have_count(0)
    assert_fits(page)
    page.get_by_label("Email").fill(admin_user.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("It works once, for 3\xa0days.")
    assert_fits(page)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [admin_user.email]
    assert email.subject == "Set a new Roster password"
    link = re.search(r"https?://\S+", email.body).group(0)
    assert link.startswith(settings.PUBLIC_BASE_URL + "/accounts/reset/"), link
    path = link.removeprefix(settings.PUBLIC_BASE_URL)

    page.goto(path)  # the link, on the test's server
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same again").fill(NEW_PASSWORD + "!")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("#id_new_password2_error")).to_contain_text("didn’t match")
    assert_fits(page)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()
    assert_fits(page)

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Email").fill(admin_user.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/settings/integrations/")

    page.context.clear_cookies()
    page.goto(path)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert_fits(page)
