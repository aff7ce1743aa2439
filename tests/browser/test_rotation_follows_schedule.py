"""In Debian's chromium: create a rotation, pick a PagerDuty schedule, and see PagerDuty's person on call;
after a change in PagerDuty, Sync now shows the new person at once; Unbind goes back to the rotation's own
cadence after a confirmation."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits
from tests.factories import PagerDutyConnectionFactory
from tests.rotations.fake_schedules import FakeSchedule, install

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_an_admin_makes_a_rotation_follow_a_pagerduty_schedule(signed_in_page, org, fake_pagerduty, tmp_path):
    schedules = {"PI7DH85": FakeSchedule(users=["PZED004"], turn_hours=24 * 365, name="Daily Engineering Rotation")}
    users = {"PZED004": ("Zed Quinn", "zed@acme.example"), "PYUK005": ("Yuki Sato", "yuki@acme.example")}
    install(fake_pagerduty, schedules=schedules, users=users)
    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    page = signed_in_page
    page.goto("/settings/integrations/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rotations").click()
    page.get_by_role("link", name="New rotation").click()
    page.get_by_label("Name").fill("Platform")
    page.get_by_label("Members").fill("Ana Ortiz <ana@acme.example>")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Create rotation").click()
    page.get_by_text("Rotation “Platform” created.").wait_for()

    page.get_by_role("link", name="Follow a PagerDuty schedule").click()
    page.get_by_label("Search schedules").fill("Daily")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Follow").click()

    page.get_by_text("Now following the PagerDuty schedule.").wait_for()
    now = page.get_by_test_id("now-on-call")
    assert "Zed Quinn" in now.inner_text() and "not a member" in now.inner_text()
    page.get_by_role("button", name="Add as member").click()
    assert "not a member" not in page.get_by_test_id("now-on-call").inner_text()
    page.screenshot(path=str(tmp_path / "rotation.png"), full_page=True)

    # Someone else is on call in PagerDuty now: Sync now shows it without waiting for the periodic sync.
    schedules["PI7DH85"] = FakeSchedule(users=["PYUK005"], turn_hours=24 * 365, name="Daily Engineering Rotation")
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_test_id("now-on-call")).to_contain_text("Yuki Sato")
    page.get_by_text("Sync history").click()
    expect(page.locator("details", has_text="Sync history").get_by_role("listitem")).to_have_count(2)
    assert_fits(page)

    page.get_by_role("link", name="Unbind (use own cadence)").click()
    dialog = page.get_by_role("dialog", name="Stop following PagerDuty?")
    dialog.get_by_text("Yes, unbind Platform").click()
    dialog.get_by_role("button", name="Unbind", exact=True).click()
    expect(page.get_by_text("Uses its own cadence.")).to_be_visible()
    expect(page.get_by_role("button", name="Sync now")).to_have_count(0)
