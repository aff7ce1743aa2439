"""docs/slack-app-manifest.yml is the app Roster needs: the scopes "Add to Slack" asks for, and Roster's
own URLs for the OAuth redirect, the slash command, interactivity and events."""

from pathlib import Path
from urllib.parse import urlparse

import yaml
from django.urls import reverse

from integrations.slack.oauth import BOT_SCOPES, CALLBACK_PATH

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "slack-app-manifest.yml").read_text())


def test_the_manifest_asks_for_exactly_the_scopes_roster_asks_for():
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert "commands" in BOT_SCOPES


def test_every_request_url_is_rosters():
    events = reverse("slack_events")
    assert events == "/integrations/slack/events/"
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/roster"
    urls = [
        command["url"],
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    ]
    assert [urlparse(u).path for u in urls] == [events] * 3
    assert [urlparse(u).path for u in MANIFEST["oauth_config"]["redirect_urls"]] == [CALLBACK_PATH]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
