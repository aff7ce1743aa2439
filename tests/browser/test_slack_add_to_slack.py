"""In Debian's chromium, on a phone and a desktop: an admin clicks Add to Slack, allows Roster on the
fake Slack's authorize page, lands back on the card connected to the workspace, then disconnects."""

import pytest
from playwright.sync_api import expect

from integrations.slack.models import SlackConnection
from tests.browser.conftest import back_on_the_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    """The Slack card needs no sideways scroll. The other cards are taken off the page first: at 390 px
    the PagerDuty card's webhook row is wider than the screen today, which is that card's to fix."""
    return page.evaluate(
        """() => {
            document.querySelectorAll(".cards > .card:not(#slack)").forEach((card) => card.remove());
            return document.documentElement.scrollWidth <= window.innerWidth;
        }"""
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_an_admin_adds_roster_to_slack_and_disconnects_it(signed_in_page, fake_slack, settings, live_server, width):
    settings.PUBLIC_BASE_URL = live_server.url
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/settings/integrations/")
    card = page.locator("#slack")
    expect(card.get_by_test_id("slack-status")).to_have_text("Not connected")
    card.get_by_text("Slack app settings").click()
    expect(card.get_by_test_id("slack-redirect-url")).to_have_text(f"{live_server.url}/integrations/slack/callback")
    assert no_sideways_scroll(page)

    card.get_by_role("button", name="Add to Slack").click()
    expect(page.get_by_role("heading", name="Roster is requesting permission")).to_contain_text("Acme Ops")
    assert page.url.startswith(f"{fake_slack.authorize_url}?")
    page.get_by_role("button", name="Allow").click()

    back_on_the_card(page, card, said="Slack connected to the workspace Acme Ops.", status="Active")
    expect(card.get_by_test_id("slack-workspace")).to_contain_text("Acme Ops")
    expect(card.get_by_test_id("slack-bot")).to_contain_text("@roster")
    expect(card.get_by_test_id("slack-scopes-granted")).to_contain_text("usergroups:write")
    connection = SlackConnection.objects.get()
    assert connection.bot_token not in page.content()
    assert fake_slack.calls["oauth.v2.access"] == 1
    assert no_sideways_scroll(page)

    card.get_by_role("link", name="Disconnect").click()
    dialog = page.get_by_role("dialog", name="Disconnect Slack?")
    expect(dialog).to_be_visible()
    assert no_sideways_scroll(page)
    dialog.get_by_label("Yes, disconnect Slack").check()
    dialog.get_by_role("button", name="Disconnect").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Slack disconnected. Roster deleted its token. Roster removed its app from Acme Ops."
    )
    expect(card.get_by_test_id("slack-status")).to_have_text("Not connected")
    expect(card.get_by_role("button", name="Add to Slack")).to_be_visible()
    assert fake_slack.tokens[connection.bot_token]["revoked"] is True and fake_slack.uninstalled == ["T0ACME"]
    assert not SlackConnection.objects.exists()
