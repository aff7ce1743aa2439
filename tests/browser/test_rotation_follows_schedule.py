"""In Debian's chromium: create a rotation, pick a PagerDuty schedule, and see PagerDuty's person on call."""

import pytest

from tests.factories import PagerDutyConnectionFactory
from tests.rotations.fake_schedules import FakeSchedule, install

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_an_admin_makes_a_rotation_follow_a_pagerduty_schedule(signed_in_page, org, fake_pagerduty, tmp_path):
    install(
        fake_pagerduty,
        schedules={"PI7DH85": FakeSchedule(users=["PZED004"], turn_hours=24 * 365, name="Daily Engineering Rotation")},
        users={"PZED004": ("Zed Quinn", "zed@acme.example")},
    )
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
