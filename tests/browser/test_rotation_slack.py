"""In Debian's chromium, on a phone and a desktop: an admin binds a rotation's on-duty user group and
channels from Slack's lists, saves templates, sees the preview and who is linked, and sends a test
message the fake Slack receives once; nothing is wider than the screen."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import RotationSlack
from rotations import services
from tests.browser.conftest import assert_fits
from tests.integrations.slack_flow import make_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


NEMO = ("Nemo Nobody", "nemo@acme.example")  # Slack does not know him


def platform(org, *, second=NEMO, start_date=None):
    """A daily rotation "Platform" in UTC handing over at 00:00: Ada from `start_date` (today), then `second`."""
    return services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="UTC",
        members=[("Ada Lovelace", "ada@acme.example"), second],
        cadence_unit="days",
        cadence_count=1,
        handoff_time=dt.time(0, 0),
        start_date=start_date or timezone.now().date(),
    )


def platform_page(page, org, fake_slack, width):
    """Acme connected to Slack, and its admin's page at `width` on Platform's page; returns Platform."""
    make_connection(org, fake_slack)
    rotation = platform(org)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/rotations/{rotation.pk}/")
    return rotation


def bind_slack(section, *, off_duty: str = "") -> None:
    """Fill the rotation page's Slack section: @platform-oncall, #ops for the topic and the messages."""
    section.get_by_label("On-duty user group").select_option(label="@platform-oncall (Platform on call)")
    section.get_by_label("Topic channel").select_option(label="#ops")
    section.get_by_label("Topic template").fill("On call: {person} until {until}")
    section.get_by_label("Handoff message channel").select_option(label="#ops")
    section.get_by_label("On-duty message").fill("{person} is on call for {rotation}")
    if off_duty:
        section.get_by_label("Off-duty message").fill(off_duty)


def test_an_admin_binds_slack_on_the_rotation_page_and_sends_a_test_message(signed_in_page, org, fake_slack, width):
    fake_slack.add_usergroup("S0ONCALL", "Platform on call", "platform-oncall", ["U0ADM"])
    page = signed_in_page
    platform_page(page, org, fake_slack, width)

    section = page.get_by_test_id("rotation-slack")
    bind_slack(section)
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


def test_the_preview_follows_the_template_as_the_admin_types(signed_in_page, org, fake_slack, width):
    page = signed_in_page
    rotation = platform_page(page, org, fake_slack, width)
    section = page.get_by_test_id("rotation-slack")
    previews = section.get_by_test_id("slack-previews")
    expect(previews).to_be_hidden()  # no template yet

    section.get_by_label("Topic template").press_sequentially("On call: {person} for {rotation}")
    expect(previews).to_contain_text("On call: <@U0123456789> for Platform on-call")
    section.get_by_label("On-duty message").fill("{who} takes over")
    expect(previews).to_contain_text("Unknown placeholder {who}")
    assert_fits(page)
    section.get_by_label("On-duty message").fill("")
    expect(previews).not_to_contain_text("Unknown placeholder")
    assert RotationSlack.objects.filter(rotation=rotation).exclude(topic_template="").count() == 0  # not saved


def test_an_admin_creates_the_on_duty_group_in_a_dialog(signed_in_page, org, fake_slack, width):
    fake_slack.add_usergroup("S0OPS", "Ops on call", "ops-oncall")
    page = signed_in_page
    platform_page(page, org, fake_slack, width)
    page.get_by_test_id("slack-new-group-open").click()
    dialog = page.get_by_role("dialog", name="Create a user group in Slack")
    dialog.get_by_label("@handle").fill("ops-oncall")
    assert_fits(page)
    dialog.get_by_role("button", name="Create group").click()

    expect(dialog).to_be_visible()  # back, open, with Slack's words beside the field
    expect(dialog.get_by_label("@handle")).to_have_value("ops-oncall")
    expect(dialog.locator("#slack-new-group-handle_error")).to_contain_text("That @handle is already taken in Slack")
    assert_fits(page)
    dialog.get_by_label("@handle").fill("platform-oncall")
    dialog.get_by_role("button", name="Create group").click()

    expect(page.get_by_role("status")).to_contain_text("Created @platform-oncall in Slack")
    section = page.get_by_test_id("rotation-slack")
    expect(section.get_by_label("On-duty user group")).to_have_value(RotationSlack.objects.get().usergroup_id)
    assert [g["users"] for g in fake_slack.usergroups.values() if g["handle"] == "platform-oncall"] == [["U0ADA"]]


def test_choosing_a_message_channel_previews_the_default_texts_the_empty_fields_show(
    signed_in_page, org, fake_slack, width
):
    page = signed_in_page
    platform_page(page, org, fake_slack, width)
    section = page.get_by_test_id("rotation-slack")
    previews = section.get_by_test_id("slack-previews")
    expect(section.get_by_label("On-duty message")).to_have_attribute(
        "placeholder", "{person} is on call for {rotation} until {until}."
    )
    expect(section.get_by_label("Off-duty message")).to_have_attribute(
        "placeholder", "{person} is off duty for {rotation}."
    )
    expect(previews).to_be_hidden()  # no channel yet: nothing would be posted

    section.get_by_label("Handoff message channel").select_option(label="#ops")

    expect(previews).to_contain_text("<@U0123456789> is on call for Platform on-call until Mon 9 Mar 09:00 CET.")
    expect(previews).to_contain_text("<@U0123456789> is off duty for Platform on-call.")
    assert_fits(page)
    section.get_by_role("button", name="Save Slack settings").click()

    expect(page.get_by_role("status")).to_contain_text("Slack settings saved.")
    expect(previews).to_contain_text("On duty (default)")
    section.get_by_role("button", name="Send test message").click()
    expect(page.get_by_role("status")).to_contain_text("Test message sent to Slack.")
    assert fake_slack.messages[-1]["text"].startswith("(Test) <@U0ADA> is on call for Platform until ")
    assert_fits(page)


def test_a_refused_save_keeps_what_was_typed_and_shows_the_error_beside_its_field(
    signed_in_page, org, fake_slack, width
):
    fake_slack.add_usergroup("S0ONCALL", "Platform on call", "platform-oncall", ["U0ADM"])
    page = signed_in_page
    rotation = platform_page(page, org, fake_slack, width)
    section = page.get_by_test_id("rotation-slack")
    bind_slack(section, off_duty="{person} hands over")
    section.get_by_label("On-duty message").fill("{who} takes over")  # not a placeholder Roster knows
    section.get_by_label("Remind the person before their shift (hours; empty: off)").fill("12")
    section.get_by_role("button", name="Save Slack settings").click()

    expect(page.get_by_text("Slack settings not saved: Unknown placeholder {who}")).to_be_visible()
    section = page.get_by_test_id("rotation-slack")
    on_duty = section.locator("p.field").filter(has=page.get_by_label("On-duty message"))
    expect(on_duty.get_by_role("alert")).to_contain_text("Unknown placeholder {who}: use {rotation}, {person}")
    expect(section.get_by_role("alert")).to_have_count(1)  # beside that field only
    expect(section.get_by_label("On-duty message")).to_have_value("{who} takes over")
    expect(section.get_by_label("On-duty user group")).to_have_value("S0ONCALL")
    expect(section.get_by_label("Topic channel")).to_have_value("C0OPS")
    expect(section.get_by_label("Topic template")).to_have_value("On call: {person} until {until}")
    expect(section.get_by_label("Handoff message channel")).to_have_value("C0OPS")
    expect(section.get_by_label("Off-duty message")).to_have_value("{person} hands over")
    expect(section.get_by_label("Remind the person before their shift (hours; empty: off)")).to_have_value("12")
    assert not RotationSlack.objects.filter(rotation=rotation).exists()  # nothing saved
    assert_fits(page)

    section.get_by_label("On-duty message").fill("{person} takes over")
    section.get_by_role("button", name="Save Slack settings").click()
    expect(page.get_by_role("status")).to_contain_text("Slack settings saved.")
    expect(section.get_by_role("alert")).to_have_count(0)
    saved = RotationSlack.objects.get(rotation=rotation)
    assert (saved.on_duty_template, saved.off_duty_template, saved.reminder_hours) == (
        "{person} takes over",
        "{person} hands over",
        12,
    )
