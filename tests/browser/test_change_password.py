"""In Debian's chromium at 1280 and 390 px: a signed-in member opens their email in the top bar, is
told when the current password is wrong, changes it, signs out (and is told so), and signs in again with the
new one."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits, open_menu
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "another long passphrase 77"


def test_a_member_changes_their_password_and_signs_in_with_it(member_at_width, member_user):
    page = member_at_width

    page.goto("/rotations/")
    open_menu(page)
    page.get_by_role("link", name=member_user.email).click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    assert_fits(page)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#id_old_password_error")).to_contain_text("incorrect")
    assert_fits(page)

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    assert_fits(page)
    page.get_by_role("link", name="Back to Rotations").click()
    expect(page.get_by_role("heading", name="Rotations", exact=True)).to_be_visible()  # still signed in

    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    assert_fits(page)
    page.get_by_label("Email").fill(member_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/settings/integrations/")
