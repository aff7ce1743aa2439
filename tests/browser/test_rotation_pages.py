"""In Debian's chromium at a phone's and a laptop's width: the schedule picker (search, pages), an
override refused then fixed, and a skip undone on the timeline. No rotation page scrolls sideways."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.factories import PagerDutyConnectionFactory, daily_rotation
from tests.rotations.fake_schedules import install, install_list, many_schedules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [390, 1280]


def fits(page):
    """The page is no wider than the window: nothing scrolls sideways."""
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def rotation(org, **kwargs):
    people = [("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")]
    return daily_rotation(org, people, start_date=dt.date.today() - dt.timedelta(days=3), **kwargs)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_finds_a_schedule_among_132_by_paging_and_searching_then_follows_it(
    signed_in_page, org, fake_pagerduty, width
):
    schedules, teams = many_schedules(132)
    install_list(fake_pagerduty, schedules, teams=teams)
    install(fake_pagerduty, schedules=schedules, users={"PZED004": ("Zed Quinn", "zed@acme.example")})
    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    native = rotation(org)
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/rotations/")
    fits(page)
    page.get_by_role("link", name="Platform").click()
    fits(page)
    page.get_by_role("link", name="Follow a PagerDuty schedule").click()
    expect(page.get_by_test_id("schedule-count")).to_have_text("132 schedules. Showing 1–25.")
    fits(page)
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_test_id("schedule-count")).to_have_text("132 schedules. Showing 26–50.")
    expect(page.get_by_text("Page 2 of 6")).to_be_visible()
    fits(page)

    page.get_by_label("Search schedules").fill("schedule 07")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("schedule-count")).to_have_text("10 schedules matching “schedule 07”.")
    expect(page.get_by_test_id("schedules").get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_text("Classic · Europe/Berlin · Team: Ops").first).to_be_visible()
    fits(page)
    page.get_by_role("button", name="Follow Shift schedule 075").click()

    expect(page.get_by_text("Now following the PagerDuty schedule.")).to_be_visible()
    expect(page.get_by_test_id("now-on-call")).to_contain_text("Zed Quinn")
    expect(page.get_by_test_id("cadence-follows-pagerduty")).to_contain_text("Shift schedule 075")
    expect(page.get_by_label("Hand over every")).to_have_count(0)
    fits(page)
    native.refresh_from_db()
    assert (native.pagerduty_schedule_id, native.pagerduty_schedule_kind) == ("PS0075", "v3")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_override_ending_before_it_starts_is_refused_beside_the_end_then_fixed(signed_in_page, org, width):
    native = rotation(org)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/rotations/{native.pk}/")
    form = page.get_by_test_id("override-form")
    form.get_by_label("Who covers").select_option(label="Bo Chen")
    form.get_by_label("Start").fill(f"{tomorrow}T18:00")
    form.get_by_label("End").fill(f"{tomorrow}T10:00")
    form.get_by_role("button", name="Add override").click()

    error = page.get_by_text("An override must end after it starts.")
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()
    form = page.get_by_test_id("override-form")
    expect(form.get_by_label("End")).to_be_focused()
    expect(form.get_by_label("Start")).to_have_value(f"{tomorrow}T18:00")
    expect(form.get_by_label("Who covers")).to_have_value(str(native.members.get(name="Bo Chen").pk))
    fits(page)

    form.get_by_label("Start").fill(f"{tomorrow}T10:00")
    form.get_by_label("End").fill(f"{tomorrow}T18:00")
    form.get_by_role("button", name="Add override").click()
    expect(page.get_by_text("Override added: Bo Chen covers")).to_be_visible()
    expect(page.get_by_test_id("cover")).to_have_text("Bo Chen covers 10:00–18:00 UTC · Remove")
    fits(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_skipped_turn_shows_on_the_timeline_and_can_be_undone(signed_in_page, org, width):
    native = rotation(org)
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/rotations/{native.pk}/")
    timeline = page.get_by_test_id("upcoming")
    who = timeline.locator("li.turn").nth(1).locator(".turn-who").inner_text()
    timeline.locator("li.turn").nth(1).get_by_role("button", name="Skip").click()

    expect(page.get_by_text("Turn skipped.")).to_be_visible()
    skipped = page.get_by_test_id("skipped")
    expect(skipped).to_have_text(f"{who} — skipped · Undo")
    fits(page)
    skipped.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Skip undone")).to_be_visible()
    expect(page.get_by_test_id("skipped")).to_have_count(0)
    expect(page.get_by_test_id("upcoming").locator("li.turn").nth(1).locator(".turn-who")).to_have_text(who)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_rotation_takes_the_suggested_browser_time_zone_after_a_wrong_one_and_fits_the_screen(
    signed_in_page, org, width
):
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    page.goto("/rotations/new/")
    fits(page)
    page.get_by_label("Name").fill("Night")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Create rotation").click()
    expect(page.get_by_text("“Mars/Olympus” is not a time zone")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Night")
    fits(page)
    page.get_by_role("button", name="Use my time zone (Asia/Tokyo)").click()  # the browser's zone, suggested
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Create rotation").click()
    expect(page.get_by_text("Rotation “Night” created.")).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("Asia/Tokyo")
    fits(page)


def test_the_override_and_member_forms_line_up_their_fields_and_button_on_a_laptop(signed_in_page, org):
    """On one row: every label at the same height (a field with help text below it does not push
    its neighbours' labels down) and the button level with the fields, not hanging below them."""
    page = signed_in_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/rotations/{rotation(org).pk}/")
    override = page.get_by_test_id("override-form")
    member = page.locator("form.row-form", has=page.get_by_role("button", name="Add member"))
    for form, button in ((override, "Add override"), (member, "Add member")):
        labels = [round(box["y"]) for box in (label.bounding_box() for label in form.locator("label").all())]
        assert max(labels) - min(labels) <= 1, f"{button}: labels at {labels}"
        fields = form.locator("input:not([type=hidden]), select").first.bounding_box()
        pressed = form.get_by_role("button", name=button).bounding_box()
        assert abs((pressed["y"] + pressed["height"]) - (fields["y"] + fields["height"])) <= 2, (
            f"{button}: button {pressed}, field {fields}"
        )
