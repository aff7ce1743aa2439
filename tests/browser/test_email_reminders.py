"""In Debian's chromium, on a phone and a desktop: a person turns their own email reminders on in the
rotation page's Email reminders section, then unsubscribes from the email's link without signing in;
an admin sets the rotation's defaults, and a person who chose otherwise goes back to them."""

import pytest
from playwright.sync_api import expect

from notifications import email
from tests.browser.conftest import assert_fits
from tests.factories import RotationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_turns_reminders_on_then_unsubscribes_from_the_email_link(admin_at_width, org, browser, live_server):
    rotation = RotationFactory(organization=org, name="Primary", members=[("Admin", "admin@acme.example")])
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    section = page.get_by_test_id("email-reminders")
    expect(section.get_by_test_id("reminders-summary")).to_have_text(
        "no reminder before shifts; nothing when a shift moves."
    )
    mine = section.get_by_test_id("my-reminders")
    mine.get_by_label("Email me before my shift").check()
    mine.get_by_label("Hours before").fill("6")
    mine.get_by_label("Email me when a shift of mine moves").check()
    assert_fits(page)
    mine.get_by_role("button", name="Save my reminders").click()

    expect(page.get_by_text("Your email reminders are saved.")).to_be_visible()
    expect(page.get_by_test_id("reminders-summary")).to_have_text(
        "a reminder 6 hours before each shift; an email when a shift of yours moves."
    )
    assert_fits(page)

    # The email's link, in a browser with no session.
    viewport = page.viewport_size
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    anonymous = context.new_page()
    anonymous.goto(f"/unsubscribe/{email.unsubscribe_token(rotation.pk, 'admin@acme.example')}/")
    expect(anonymous.get_by_role("heading", name="Stop shift emails?")).to_be_visible()
    assert_fits(anonymous)
    anonymous.get_by_role("button", name="Unsubscribe").click()
    expect(anonymous.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    context.close()

    page.reload()
    expect(page.get_by_test_id("reminders-summary")).to_have_text(
        "no reminder before shifts; nothing when a shift moves."
    )


def test_an_admin_sets_the_rotation_s_defaults_and_a_person_goes_back_to_them(admin_at_width, org):
    rotation = RotationFactory(organization=org, name="Primary", members=[("Admin", "admin@acme.example")])
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    section = page.get_by_test_id("email-reminders")
    defaults = section.get_by_test_id("reminder-defaults")
    defaults.get_by_label("Remind people before their shift").check()
    defaults.get_by_label("Hours before").fill("12")
    defaults.get_by_role("button", name="Save defaults").click()
    expect(section.get_by_test_id("reminders-summary")).to_have_text(
        "a reminder 12 hours before each shift; nothing when a shift moves."
    )
    expect(section).to_contain_text("(the rotation's defaults; change them for yourself below)")
    assert_fits(page)

    mine = section.get_by_test_id("my-reminders")
    mine.get_by_label("Email me before my shift").uncheck()
    mine.get_by_role("button", name="Save my reminders").click()
    expect(section.get_by_test_id("reminders-summary")).to_have_text(
        "no reminder before shifts; nothing when a shift moves."
    )
    expect(section).not_to_contain_text("(the rotation's defaults")
    mine.get_by_role("button", name="Use the rotation's defaults").click()
    expect(section.get_by_test_id("reminders-summary")).to_have_text(
        "a reminder 12 hours before each shift; nothing when a shift moves."
    )
    expect(mine.get_by_role("button", name="Use the rotation's defaults")).to_have_count(0)
    assert_fits(page)
