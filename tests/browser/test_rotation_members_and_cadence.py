"""In Debian's chromium at 1280 and 390 px: an admin adds a second person to a rotation (a second try
with an address already in it is refused beside the email, with the values kept), then changes the
cadence from weekly to daily, and the next 14 days take turns day by day."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from rotations import services as rotations
from tests.browser.conftest import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_a_member_and_makes_the_rotation_daily(admin_at_width, org):
    rotation = rotations.rotation_create(
        organization=org,
        name="Ops",
        time_zone="UTC",
        members=[("Ana Ortiz", "ana@acme.example")],
        cadence_unit="weeks",
        cadence_count=1,
        handoff_time=dt.time(9, 0),
    )
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    upcoming = page.get_by_test_id("upcoming")
    expect(upcoming.get_by_role("listitem")).not_to_have_count(0)
    expect(upcoming).not_to_contain_text("Ben")

    members = page.locator("section", has=page.get_by_role("heading", name="Members", exact=True))
    members.get_by_label("Name").fill("Ana again")
    members.get_by_label("Email").fill("ana@acme.example")
    members.get_by_role("button", name="Add member").click()
    expect(members).to_contain_text("ana@acme.example is already a member of this rotation.")
    expect(members.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(members.get_by_label("Name")).to_have_value("Ana again")
    assert_fits(page)

    members.get_by_label("Name").fill("Ben Okafor")
    members.get_by_label("Email").fill("ben@acme.example")
    members.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status")).to_contain_text("Ben Okafor added.")
    expect(members.get_by_role("listitem")).to_have_text(
        ["Ana Ortiz <ana@acme.example> Remove", "Ben Okafor <ben@acme.example> Remove"]
    )

    settings = page.locator("section", has=page.get_by_role("heading", name="Settings", exact=True))
    settings.get_by_label("Unit").select_option("days")
    settings.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Rotation saved.")
    turns = page.get_by_test_id("upcoming").locator("li.turn .turn-who")
    expect(turns.first).to_be_visible()
    who = turns.all_inner_texts()
    assert len(who) >= 14, who
    # Daily, in the members' order: each day the other person.
    assert all(a != b for a, b in zip(who, who[1:], strict=False)), who
    assert {w.split()[0] for w in who} == {"Ana", "Ben"}, who
    assert_fits(page)
