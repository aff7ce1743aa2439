"""In Debian's chromium, on a phone and a desktop: an admin binds a rotation's on-duty user group and
channels from Slack's lists, saves templates, sees the preview and who is linked, and sends a test
message the fake Slack receives once; nothing is wider than the screen."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rotations import services
from tests.browser.conftest import assert_fits
from tests.integrations.slack_flow import make_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_binds_slack_on_the_rotation_page_and_sends_a_test_message(signed_in_page, org, fake_slack, width):
    make_connection(org, fake_slack)
    fake_slack.add_usergroup("S0ONCALL", "Platform on call", "platform-oncall", ["U0ADM"])
    rotation = services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="UTC",
        members=[("Ada Lovelace", "ada@acme.example"), ("Nemo Nobody", "nemo@acme.example")],
        cadence_unit="days",
        cadence_count=1,
        handoff_time=dt.time(0, 0),
        start_date=timezone.now().date(),
    )
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/rotations/{rotation.pk}/")

    section = page.get_by_test_id("rotation-slack")
    section.get_by_label("On-duty user group").select_option(label="@platform-oncall (Platform on call)")
    section.get_by_label("Topic channel").select_option(label="#ops")
    section.get_by_label("Topic template").fill("On call: {person} until {until}")
    section.get_by_label("Handoff message channel").select_option(label="#ops")
    section.get_by_label("On-duty message").fill("{person} is on call for {rotation}")
    assert_fits(page)
    section.get_by_role("button", name="Save Slack settings").click()

    expect(page.get_by_role("status")).to_contain_text("Slack settings saved.")
    expect(section.get_by_test_id("slack-linked")).to_contain_text("1 of 2 linked to Slack")
    expect(section.get_by_test_id("slack-linked")).to_contain_text("nemo@acme.example")
    expect(section.get_by_test_id("slack-previews")).to_contain_text("Platform on-call")
    assert_fits(page)

    section.get_by_role("button", name="Send test message").click()
    expect(page.get_by_role("status")).to_contain_text("Test message sent to Slack.")
    assert fake_slack.calls["chat.postMessage"] == 1
    assert fake_slack.messages[0]["text"].startswith("(Test) <@U0ADA> is on call for Platform")
    assert_fits(page)
