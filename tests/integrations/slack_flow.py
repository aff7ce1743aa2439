"""Helpers for Slack tests: walk "Add to Slack" through the fake Slack with a Django test client."""

from __future__ import annotations

import urllib.request
from urllib.parse import urlencode, urlparse

from integrations.slack.models import SlackConnection
from tests.conftest import query_of
from tests.fake_slack import FakeSlack

URL = "/settings/integrations/"
INSTALL = f"{URL}slack/install/"
CALLBACK = "/integrations/slack/callback"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def decide_on_slack(fake: FakeSlack, authorize_url: str, *, allow: bool = True) -> str:
    """Click Allow (or Cancel) on the fake's authorize page; return where Slack sends the browser back."""
    params = query_of(authorize_url)
    params["decision"] = "allow" if allow else "deny"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"{fake.url}/oauth/v2/authorize/decide?{urlencode(params)}")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302
        return redirect.headers["Location"]
    raise AssertionError("the fake did not redirect back")


def start_install(client) -> str:
    response = client.post(INSTALL)
    assert response.status_code == 302, response.content
    return response["Location"]


def callback_path(back_url: str) -> str:
    parsed = urlparse(back_url)
    assert parsed.path == CALLBACK
    return f"{parsed.path}?{parsed.query}"


def add_to_slack(client, fake: FakeSlack) -> SlackConnection:
    """The whole flow, approved; returns the saved connection."""
    back = decide_on_slack(fake, start_install(client))
    response = client.get(callback_path(back))
    assert response.status_code == 302 and response["Location"] == URL
    return SlackConnection.objects.get()


def make_connection(org, fake: FakeSlack, **fields) -> SlackConnection:
    """A connection saved directly, with a token the fake knows."""
    values = {
        "team_id": fake.team_id,
        "team_name": fake.team_name,
        "bot_user_id": fake.bot_user_id,
        "bot_name": "roster",
        "bot_token": fake.issue_token(),
        "scopes": "usergroups:read,usergroups:write,users:read,users:read.email,chat:write,"
        "channels:read,groups:read,channels:write.topic,groups:write.topic,commands",
        **fields,
    }
    return SlackConnection.objects.create(organization=org, **values)
