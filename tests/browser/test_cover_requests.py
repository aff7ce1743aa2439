"""In Debian's chromium at a phone's and a laptop's width: Mia, a plain member, asks for cover for part
of one of her shifts on the rotation page; Cy takes it in another browser (his own session); the
timeline then shows Cy on call for that time. On a native rotation (a Roster override) and on one
that follows a PagerDuty schedule (the override written to the fake PagerDuty, the schedule re-read at
once). A cover asked from now and taken minutes later covers from the take on. Nothing scrolls
sideways; screenshots go to test-artifacts/screenshots/<width>/cover-*.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from covers import page as cover_page
from covers.models import CoverRequest
from rotations import services as rotation_services
from rotations import sync
from rotations.models import Member, Rotation
from tests.browser.conftest import assert_fits, new_page, signed_in
from tests.conftest import new_member
from tests.factories import PagerDutyConnectionFactory, daily_rotation
from tests.rotations.fake_schedules import FakeSchedule, install

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PEOPLE = [("Ada Admin", "admin@acme.example"), ("Mia Park", "mia@acme.example"), ("Cy Diaz", "cy@acme.example")]
PD_USERS = {"PADA": PEOPLE[0], "PMIA": PEOPLE[1], "PCY": PEOPLE[2]}
H = dt.timedelta(hours=1)


def browser_of(browser, live_server, email: str, width: int):
    """A browser context of its own (its own cookies: another session), signed in as `email`."""
    page = new_page(browser, live_server.url, timeout=20_000, viewport={"width": width, "height": 900})
    signed_in(page, User.objects.get(email=email), live_server.url)
    return page


def shoot(page, width: int, name: str) -> None:
    assert_fits(page)
    folder = SHOTS / str(width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def next_shift(rotation: Rotation, email: str) -> tuple[dt.datetime, dt.datetime]:
    """The person's first shift that starts more than an hour from now (as the page lists it)."""
    now = timezone.now()
    fresh = Rotation.objects.get(pk=rotation.pk)
    member = Member.objects.get(rotation=rotation, email=email)
    return next((s, e) for s, e in cover_page.upcoming_shifts(fresh, member, now=now) if s > now + H)


def local(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")  # the rotations here are in UTC


def ask_and_take(browser, live_server, rotation: Rotation, width: int, name: str) -> tuple[dt.datetime, dt.datetime]:
    """Mia asks for cover for the middle of her next shift (the preselected times edited); Cy, in
    another browser, takes it. Returns the covered (start, end)."""
    shift_start, shift_end = next_shift(rotation, "mia@acme.example")
    start, end = shift_start + H, shift_end - H
    dialog = cover_page.shift_dialog(shift_start)

    mia = browser_of(browser, live_server, "mia@acme.example", width)
    mia.goto(f"/rotations/{rotation.pk}/")
    section = mia.get_by_test_id("cover-requests")
    expect(section.get_by_test_id("open-cover-requests")).to_have_text("No open request.")
    section.locator(f'a[data-open-dialog="{dialog}"]').click()
    box = mia.locator(f"dialog#{dialog}")
    expect(box).to_be_visible()
    expect(box.get_by_label("From")).to_have_value(local(shift_start))  # her shift, preselected
    expect(box.get_by_label("Until")).to_have_value(local(shift_end))
    assert_fits(mia)
    mia.screenshot(path=str(SHOTS / str(width) / f"{name}-ask.png"))  # the dialog, as it opens
    box.get_by_label("From").fill(local(start))
    box.get_by_label("Until").fill(local(end))
    box.get_by_label("Note (optional)").fill("Dentist in the afternoon")
    box.get_by_role("button", name="Ask for cover").click()
    expect(mia.get_by_role("status")).to_contain_text("You asked for cover")
    expect(mia.get_by_test_id("cover-request")).to_contain_text("Mia Park needs cover")
    expect(mia.get_by_test_id("cover-request")).to_contain_text("Dentist in the afternoon")
    expect(mia.get_by_test_id("cover-request").get_by_role("button", name="Cancel request")).to_have_count(0)
    shoot(mia, width, f"{name}-asked")

    cy = browser_of(browser, live_server, "cy@acme.example", width)
    cy.goto(f"/rotations/{rotation.pk}/")
    request = cy.get_by_test_id("cover-request")
    expect(request).to_contain_text("Mia Park needs cover")
    shoot(cy, width, f"{name}-open")
    request.get_by_role("button", name="Take Mia Park's request").click()
    expect(cy.get_by_role("status")).to_contain_text("You cover Mia Park")
    expect(cy.get_by_test_id("open-cover-requests")).to_have_text("No open request.")
    expect(cy.get_by_test_id("cover-history")).to_contain_text("taken by Cy Diaz")
    shoot(cy, width, f"{name}-taken")

    mia.reload()
    expect(mia.get_by_test_id("cover-history")).to_contain_text("taken by Cy Diaz")
    assert_fits(mia)
    mia.context.close()
    cy.context.close()
    taken = CoverRequest.objects.get()
    assert (taken.status, taken.taker_name, taken.start, taken.end) == ("taken", "Cy Diaz", start, end)
    return start, end


@pytest.mark.parametrize("width", [390, 1280])
def test_a_member_asks_for_cover_and_another_takes_it_on_a_native_rotation(browser, live_server, org, width):
    new_member(org, "mia@acme.example")
    new_member(org, "cy@acme.example")
    rotation = daily_rotation(org, PEOPLE, start_date=timezone.now().date() - dt.timedelta(days=3))
    (SHOTS / str(width)).mkdir(parents=True, exist_ok=True)
    start, end = ask_and_take(browser, live_server, rotation, width, "cover-native")

    ada = browser_of(browser, live_server, "admin@acme.example", width)
    ada.goto(f"/rotations/{rotation.pk}/")
    cover = ada.get_by_test_id("upcoming").get_by_test_id("cover")
    expect(cover).to_contain_text(f"Cy Diaz covers {start:%H:%M}–{end:%H:%M}")
    ada.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_member_asks_for_cover_and_another_takes_it_in_pagerduty(browser, live_server, org, fake_pagerduty, width):
    new_member(org, "mia@acme.example")
    new_member(org, "cy@acme.example")
    install(
        fake_pagerduty,
        schedules={"PCOVER1": FakeSchedule(users=["PMIA", "PCY"], turn_hours=8, time_zone="UTC", name="Payments")},
        users=PD_USERS,
    )
    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    rotation = Rotation.objects.create(
        organization=org,
        name="Payments",
        time_zone="UTC",
        pagerduty_schedule_id="PCOVER1",
        pagerduty_schedule_kind="v2",
        pagerduty_schedule_url="https://acme.pagerduty.com/schedules/PCOVER1",
    )
    for position, (name, email) in enumerate(PEOPLE):
        Member.objects.create(rotation=rotation, name=name, email=email, position=position)
    sync.sync_schedule(organization_id=org.pk, schedule_id="PCOVER1")
    (SHOTS / str(width)).mkdir(parents=True, exist_ok=True)

    start, end = ask_and_take(browser, live_server, rotation, width, "cover-pagerduty")

    # Written once to PagerDuty, and the schedule re-read at once: the timeline shows Cy then.
    made = fake_pagerduty.overrides_of("PCOVER1")
    assert [(o.start, o.end, o.user_id) for o in made] == [(start, end, "PCY")]
    cy = browser_of(browser, live_server, "cy@acme.example", width)
    cy.goto(f"/rotations/{rotation.pk}/")
    timeline = cy.get_by_test_id("upcoming")
    more = timeline.locator("details.more-days summary")
    if more.count():
        more.click()
    shift = timeline.locator(f'.shifts li:has(.when time:first-child[datetime="{start.isoformat()}"])')
    expect(shift).to_contain_text("Cy Diaz")
    expect(shift.locator(f'time[datetime="{end.isoformat()}"]')).to_have_count(1)
    shoot(cy, width, "cover-pagerduty-timeline")
    cy.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_cover_asked_from_now_and_taken_minutes_later_covers_from_the_take(browser, live_server, org, width):
    """Mia, on call now, asks for cover from now (the dialog's default) to the end of her shift; Cy takes
    it five minutes later (the clock moved): the timeline shows Cy from the take to the end of the shift."""
    new_member(org, "mia@acme.example")
    new_member(org, "cy@acme.example")
    began = (timezone.now() - 2 * H).replace(minute=0, second=0, microsecond=0)  # Mia's turn, 2–3 hours ago
    rotation = rotation_services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="UTC",
        members=[PEOPLE[1], PEOPLE[2]],
        cadence_unit="days",
        cadence_count=1,
        handoff_time=began.time(),
        start_date=began.date(),
    )
    shift_end = began + 24 * H
    dialog = cover_page.shift_dialog(began)

    mia = browser_of(browser, live_server, "mia@acme.example", width)
    opened = timezone.now()
    mia.goto(f"/rotations/{rotation.pk}/")
    mia.get_by_test_id("cover-requests").locator(f'a[data-open-dialog="{dialog}"]').click()
    box = mia.locator(f"dialog#{dialog}")
    expect(box).to_be_visible()
    expect(box.get_by_label("Until")).to_have_value(local(shift_end))
    asked_from = dt.datetime.fromisoformat(box.get_by_label("From").input_value()).replace(tzinfo=dt.UTC)
    assert opened < asked_from <= timezone.now() + dt.timedelta(minutes=1)  # from now: the next whole minute
    assert_fits(mia)
    box.get_by_role("button", name="Ask for cover").click()
    expect(mia.get_by_role("status")).to_contain_text("You asked for cover")
    expect(mia.get_by_test_id("cover-request")).to_contain_text("Mia Park needs cover")

    later = timezone.now() + 5 * dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=True):
        cy = browser_of(browser, live_server, "cy@acme.example", width)
        cy.goto(f"/rotations/{rotation.pk}/")
        cy.get_by_test_id("cover-request").get_by_role("button", name="Take Mia Park's request").click()
        expect(cy.get_by_role("status")).to_contain_text("You cover Mia Park")
        taken = CoverRequest.objects.get()
        assert (taken.status, taken.end) == ("taken", shift_end)
        assert later.replace(microsecond=0) <= taken.start <= timezone.now()  # from the take, not from when Mia asked
        cover = cy.get_by_test_id("upcoming").get_by_test_id("cover")
        expect(cover).to_contain_text(f"Cy Diaz covers {taken.start:%H:%M}–{shift_end:%H:%M} UTC")
        expect(cy.get_by_test_id("cover-history")).to_contain_text("taken by Cy Diaz")
        assert_fits(cy)

        mia.reload()
        expect(mia.get_by_test_id("upcoming").get_by_test_id("cover")).to_contain_text(
            f"Cy Diaz covers {taken.start:%H:%M}–{shift_end:%H:%M} UTC"
        )
        assert_fits(mia)
    mia.context.close()
    cy.context.close()
