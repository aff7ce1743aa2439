"""In Debian's chromium, on a phone and a desktop: a member (not an admin) records time off on
Settings → Time off and sees it listed; the native rotation's page then shows the next member taking
their turn."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rotations import selectors
from rotations.models import Rotation, TimeOff
from tests.browser.conftest import assert_fields_styled, assert_fits
from tests.factories import daily_rotation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mia_s_next_turn(rotation: Rotation) -> dt.datetime:
    """The start of Mia's first turn that begins at least two hours from now."""
    now = timezone.now()
    found = selectors.rotation_for(rotation.organization, rotation.pk, now=now)
    for slot in selectors.timeline(found, since=now, until=now + dt.timedelta(days=7)):
        if slot.who and slot.who.email == "member@acme.example" and slot.start > now + dt.timedelta(hours=2):
            return slot.start
    raise AssertionError("Mia has no turn in the next week")


def test_a_member_adds_time_off_sees_it_listed_and_the_next_member_takes_the_turn(member_at_width, member_user, org):
    people = [("Mia Member", "member@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")]
    rotation = daily_rotation(org, people, start_date=timezone.now().date() - dt.timedelta(days=3))
    turn = mia_s_next_turn(rotation)
    page = member_at_width
    page.goto("/settings/integrations/")

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Time off").click()
    page.wait_for_url("**/settings/time-off/")
    expect(page.get_by_role("heading", name="Time off", exact=True)).to_be_visible()
    expect(page.get_by_text("No time off coming up.")).to_be_visible()
    assert_fits(page)
    assert_fields_styled(page)

    away_from, away_until = turn + dt.timedelta(hours=1), turn + dt.timedelta(hours=3)
    page.get_by_label("From").fill(away_from.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Until").fill(away_until.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Time zone").fill("UTC")
    page.get_by_label("Note").fill("Dentist")
    page.get_by_role("button", name="Add time off").click()

    expect(page.get_by_role("status")).to_contain_text("Time off recorded")
    row = page.get_by_test_id("time-off-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Dentist")
    expect(row).to_contain_text(away_from.strftime("%H:%M"))
    made = TimeOff.objects.get()
    assert (made.user, made.start, made.end) == (member_user, away_from, away_until)
    assert_fits(page)

    page.goto(f"/rotations/{rotation.pk}/")
    passed_over = page.get_by_test_id("away")
    expect(passed_over).to_have_count(1)
    expect(passed_over).to_contain_text("Mia Member")
    turn_item = page.locator("li.turn").filter(has=passed_over)
    expect(turn_item).to_contain_text("Bo Chen takes the turn")
    expect(turn_item.locator("time")).to_have_attribute("datetime", turn.isoformat())
    assert_fits(page)
