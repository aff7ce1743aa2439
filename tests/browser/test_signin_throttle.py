"""In Debian's chromium, on a phone and a laptop: a person who keeps mistyping their password is told
on the sign-in page when they may try again, and even the right password is refused until then."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_a_person_who_keeps_mistyping_their_password_sees_when_to_try_again(page, admin_user, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/accounts/login/")
    alert = page.get_by_role("alert")
    for attempt in range(1, 6):
        page.get_by_label("Email").fill(admin_user.email)
        page.get_by_label("Password").fill(f"correct horse battery stable {attempt}")
        page.get_by_role("button", name="Sign in").click()
        if attempt < 5:
            expect(alert).to_have_text("Your email and password didn't match. Please try again.")

    lockout = re.compile(
        r"^Too many failed sign-ins for this account\. Try again after (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC \(in 1[56] minutes\)\.$"
    )
    expect(alert).to_have_text(lockout)
    expect(page.get_by_label("Email")).to_have_value(admin_user.email)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(alert).to_have_text(lockout)
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
