"""In Debian's chromium, on a phone and a desktop: an admin creates a rotation's calendar URL, copies
it once, the feed it names is served, and Revoke (confirmed) turns it off."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits
from tests.factories import RotationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_subscribes_to_a_rotation_s_calendar_then_revokes_it(admin_at_width, org, client):
    rotation = RotationFactory(organization=org, name="Primary", members=[("Ana Ortiz", "ana@acme.example")])
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    section = page.locator("section").filter(has=page.get_by_role("heading", name="Calendar", exact=True))
    section.get_by_label("Reminder").select_option(label="15 minutes before")
    section.get_by_role("button", name="Create calendar URL").click()

    url = page.get_by_label("Calendar feed URL").input_value()
    assert url.startswith("https://roster.example.com/cal/")
    expect(page.get_by_role("link", name="Open in my calendar app")).to_have_attribute(
        "href", "webcal://" + url.removeprefix("https://")
    )
    assert_fits(page)
    feed = client.get(url.removeprefix("https://roster.example.com"))
    assert b"SUMMARY:Ana Ortiz on call" in feed.content and b"TRIGGER:-PT15M" in feed.content

    page.reload()  # shown once
    expect(page.get_by_label("Calendar feed URL")).to_have_count(0)
    page.get_by_role("link", name="Revoke", exact=True).click()
    dialog = page.locator("dialog#revoke-calendar")
    assert_fits(page)
    dialog.get_by_label("Yes, revoke the URL").check()
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("its URL no longer works")).to_be_visible()
    assert client.get(url.removeprefix("https://roster.example.com")).status_code == 404


def test_my_shifts_page_fits_and_shows_my_url_once(admin_at_width):
    page = admin_at_width
    page.goto("/rotations/")
    page.get_by_role("link", name="My shifts in my calendar").click()
    page.get_by_role("button", name="Create calendar URL").click()
    expect(page.get_by_label("Calendar feed URL")).to_be_visible()
    expect(page.get_by_text("Google Calendar: Other calendars")).to_be_visible()
    assert_fits(page)


def test_my_rotation_url_is_my_own_and_a_token_s_feed_is_listed(admin_at_width, org, client, member_user):
    """A teammate's URL and one made by an operator's API token keep working when I regenerate mine."""
    from accounts.actor import Actor
    from rotations.calendar import feeds

    rotation = RotationFactory(organization=org, name="Primary", members=[("Ana Ortiz", "ana@acme.example")])
    _, theirs = feeds.calendar_feed_create(
        organization=org, rotation=rotation, user=member_user, actor=Actor.person(member_user)
    )
    token_feed, token_raw = feeds.calendar_feed_create(organization=org, rotation=rotation, actor=None)
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    section = page.locator("section").filter(has=page.get_by_role("heading", name="Calendar", exact=True))
    expect(section.get_by_test_id("calendar-token-feeds")).to_contain_text(
        f"made by an API token: its URL ends in {token_feed.last4}"
    )
    section.get_by_role("button", name="Create calendar URL").click()
    first = page.get_by_label("Calendar feed URL").input_value()
    page.get_by_role("button", name="Regenerate URL").click()
    second = page.get_by_label("Calendar feed URL").input_value()
    assert_fits(page)
    assert first != second
    assert client.get(first.removeprefix("https://roster.example.com")).status_code == 404
    assert client.get(second.removeprefix("https://roster.example.com")).status_code == 200
    assert client.get(f"/cal/{theirs}.ics").status_code == 200
    assert client.get(f"/cal/{token_raw}.ics").status_code == 200
