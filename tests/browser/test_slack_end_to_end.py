"""In Debian's chromium, on a phone and a desktop, the whole of Slack for one rotation: Add to Slack →
Allow on the fake Slack → the card is connected → the rotation's on-duty group, topic channel and
message channel are bound on its page → a handoff is recorded (the handoff beat, then the
notifications sweep, as in production) → the fake Slack saw the group update, the topic and each
handoff message exactly once, however often the beat and the sweep run again."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications import tasks as notification_tasks
from rotations.sync import record_handoffs
from tests.browser.conftest import assert_fits
from tests.browser.test_rotation_slack import bind_slack, platform
from tests.browser.test_slack_add_to_slack import no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_to_slack_bind_a_rotation_and_a_handoff_reaches_slack_once(
    signed_in_page, org, fake_slack, settings, live_server, width
):
    settings.PUBLIC_BASE_URL = live_server.url
    fake_slack.add_usergroup("S0ONCALL", "Platform on call", "platform-oncall", ["U0ADM"])
    today = timezone.now().astimezone(dt.UTC).date()
    grace = ("Grace Hopper", "grace@acme.example")
    rotation = platform(org, second=grace, start_date=today - dt.timedelta(days=1))  # Ada yesterday, Grace today
    yesterday_noon = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(12, 0), tzinfo=dt.UTC)
    assert record_handoffs(now=yesterday_noon) == 1  # Ada's turn, recorded before Slack was connected

    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/settings/integrations/")
    card = page.locator("#slack")
    card.get_by_role("button", name="Add to Slack").click()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/settings/integrations/")
    expect(card.get_by_test_id("slack-status")).to_have_text("Active")
    expect(card.get_by_test_id("slack-workspace")).to_contain_text("Acme Ops")
    assert no_sideways_scroll(page)

    page.goto(f"/rotations/{rotation.pk}/")
    section = page.get_by_test_id("rotation-slack")
    bind_slack(section, off_duty="{person} is off duty, thanks!")
    assert_fits(page)
    section.get_by_role("button", name="Save Slack settings").click()
    expect(page.get_by_role("status")).to_contain_text("Slack settings saved.")
    expect(section.get_by_test_id("slack-linked")).to_contain_text("2 of 2 linked to Slack")

    for _ in range(2):  # the beat and the sweep, run twice: nothing goes out twice
        record_handoffs()
        notification_tasks.sweep()

    assert fake_slack.calls["usergroups.users.update"] == 1
    assert fake_slack.usergroups["S0ONCALL"]["users"] == ["U0GRACE"]
    assert fake_slack.calls["conversations.setTopic"] == 1
    assert fake_slack.channels["C0OPS"]["topic"]["value"].startswith("On call: <@U0GRACE> until ")
    assert fake_slack.calls["chat.postMessage"] == 2
    assert sorted(m["text"] for m in fake_slack.messages) == [
        "<@U0ADA> is off duty, thanks!",
        "<@U0GRACE> is on call for Platform",
    ]

    page.reload()
    notifications = page.get_by_test_id("notifications")
    expect(notifications.locator("li[data-status=sent]")).to_have_count(4)
    expect(notifications).to_contain_text("Slack on-duty user group")
    assert_fits(page)
