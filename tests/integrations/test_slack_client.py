"""integrations/slack/client.py against the fake Slack: each method Roster uses, Slack's quirks, and
the typed error (with plain words and the fix) every failure becomes."""

import socket
import uuid

import pytest
import time_machine

from integrations.slack import client as slack
from integrations.slack.client import SlackClient


@pytest.fixture
def bot(fake_slack):
    return SlackClient(fake_slack.issue_token(), team_id=fake_slack.team_id)


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_dead_token_is_needs_reauth_whatever_the_call(fake_slack, bot, code):
    fake_slack.fail_next("chat.postMessage", body={"ok": False, "error": code})
    with pytest.raises(slack.NeedsReauth) as caught:
        bot.chat_post_message(channel="C0OPS", text="hi")
    assert caught.value.code == code
    assert "Click Reconnect Slack" in caught.value.message


def test_a_revoked_app_answers_token_revoked_with_http_200(fake_slack, bot):
    fake_slack.revoke_all()
    with pytest.raises(slack.NeedsReauth) as caught:
        bot.auth_test()
    assert caught.value.code == "token_revoked"


def test_an_unknown_token_is_needs_reauth(fake_slack):
    with pytest.raises(slack.NeedsReauth) as caught:
        SlackClient("xoxb-not-a-token").auth_test()
    assert caught.value.code == "invalid_auth"


def test_a_short_429_is_retried_after_retry_after_and_succeeds(fake_slack, bot):
    fake_slack.fail_next("auth.test", status=429, headers={"Retry-After": "0"})
    assert bot.auth_test().team_id == "T0ACME"
    assert fake_slack.calls["auth.test"] == 2


def test_a_429_asking_for_a_long_wait_is_not_slept_on_it_is_raised_with_retry_after(fake_slack, bot):
    fake_slack.fail_next("usergroups.list", status=429, headers={"Retry-After": "120"})
    with pytest.raises(slack.RateLimited) as caught:
        bot.usergroups_list()
    assert caught.value.retry_after == 120
    assert not caught.value.permanent
    assert fake_slack.calls["usergroups.list"] == 1


@time_machine.travel("2026-10-21 07:28:00+00:00", tick=False)
def test_a_429_whose_retry_after_is_an_http_date_waits_until_then(fake_slack, bot):
    fake_slack.fail_next("usergroups.list", status=429, headers={"Retry-After": "Wed, 21 Oct 2026 07:30:00 GMT"})
    with pytest.raises(slack.RateLimited) as caught:
        bot.usergroups_list()
    assert caught.value.retry_after == 120
    assert caught.value.message == "Slack is rate-limiting Roster; it will try again."  # stored: no stale countdown
    assert fake_slack.calls["usergroups.list"] == 1


def test_retries_on_429_are_capped(fake_slack, bot, settings):
    for _ in range(5):
        fake_slack.fail_next("auth.test", status=429, headers={"Retry-After": "0"})
    with pytest.raises(slack.RateLimited):
        bot.auth_test()
    assert fake_slack.calls["auth.test"] == 1 + settings.SLACK_RATE_LIMIT_RETRIES


def test_a_server_error_is_unavailable(fake_slack, bot):
    fake_slack.fail_next("auth.test", status=503, body={"ok": False, "error": "service_unavailable"})
    with pytest.raises(slack.Unavailable) as caught:
        bot.auth_test()
    assert "HTTP 503" in caught.value.message and not caught.value.permanent


def test_slack_unreachable_is_unavailable(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SLACK_API_URL = f"http://127.0.0.1:{port}/api/"  # nothing listens there now
    with pytest.raises(slack.Unavailable) as caught:
        SlackClient("xoxb-anything").auth_test()
    assert caught.value.code == "unreachable"


def test_missing_scope_says_which_permission_and_how_to_grant_it(fake_slack):
    narrow = SlackClient(fake_slack.issue_token(scopes="chat:write"))
    with pytest.raises(slack.Permanent) as caught:
        narrow.users_lookup_by_email("ada@acme.example")
    assert caught.value.code == "missing_scope"
    assert "lacks a permission it needs (users:read.email)" in caught.value.message
    assert "Reconnect Slack" in caught.value.message


def test_an_unknown_error_code_is_permanent_and_never_echoes_odd_text(fake_slack, bot):
    fake_slack.fail_next("auth.test", body={"ok": False, "error": "<b>weird</b>"})
    with pytest.raises(slack.Permanent) as caught:
        bot.auth_test()
    assert caught.value.message == "Slack refused the request (unknown)."


# --- methods ---------------------------------------------------------------------------------------


def test_auth_test_says_who_the_bot_is(bot):
    identity = bot.auth_test()
    assert (identity.team_name, identity.user_id, identity.bot_id, identity.user) == (
        "Acme Ops",
        "U0ROSTER",
        "B0ROSTER",
        "roster",
    )


def test_auth_revoke_kills_the_token(fake_slack, bot):
    assert bot.auth_revoke() is True
    with pytest.raises(slack.NeedsReauth):
        bot.auth_test()


def test_apps_uninstall_removes_the_app_with_the_operators_app_credentials(fake_slack, bot):
    bot.apps_uninstall(client_id=fake_slack.client_id, client_secret=fake_slack.client_secret)

    assert fake_slack.uninstalled == ["T0ACME"]
    (call,) = fake_slack.calls_of("apps.uninstall")
    assert call.params["client_id"] == fake_slack.client_id
    assert not {"client_id", "client_secret"} & call.in_query  # in the POST body, never in a URL
    with pytest.raises(slack.NeedsReauth):
        bot.auth_test()


@pytest.mark.parametrize(
    ("client_id", "client_secret", "code", "says"),
    [
        ("9999.9999", "fake-slack-client-secret", "invalid_client_id", "SLACK_CLIENT_ID"),
        ("1111.2222", "not-the-secret", "bad_client_secret", "SLACK_CLIENT_SECRET"),
    ],
)
def test_apps_uninstall_refused_is_a_typed_error_naming_the_setting(
    fake_slack, bot, client_id, client_secret, code, says
):
    with pytest.raises(slack.Permanent) as caught:
        bot.apps_uninstall(client_id=client_id, client_secret=client_secret)
    assert caught.value.code == code and says in caught.value.message
    assert client_secret not in str(caught.value)
    assert fake_slack.uninstalled == []


def test_oauth_v2_access_exchanges_a_code_once(fake_slack):
    fake_slack.codes["c1"] = {"redirect_uri": "https://r.example/cb", "scopes": "chat:write,users:read", "used": False}
    anonymous = SlackClient.anonymous()
    install = anonymous.oauth_v2_access(
        client_id=fake_slack.client_id,
        client_secret=fake_slack.client_secret,
        code="c1",
        redirect_uri="https://r.example/cb",
    )
    assert install.access_token in fake_slack.tokens
    assert install.scopes == ["chat:write", "users:read"]
    assert (install.team_id, install.team_name, install.bot_user_id) == ("T0ACME", "Acme Ops", "U0ROSTER")
    with pytest.raises(slack.Permanent) as caught:
        anonymous.oauth_v2_access(
            client_id=fake_slack.client_id,
            client_secret=fake_slack.client_secret,
            code="c1",
            redirect_uri="https://r.example/cb",
        )
    assert caught.value.code == "invalid_code"


def test_oauth_v2_access_with_another_redirect_uri_is_refused(fake_slack):
    fake_slack.codes["c2"] = {"redirect_uri": "https://r.example/cb", "scopes": "chat:write", "used": False}
    with pytest.raises(slack.Permanent) as caught:
        SlackClient.anonymous().oauth_v2_access(
            client_id=fake_slack.client_id,
            client_secret=fake_slack.client_secret,
            code="c2",
            redirect_uri="https://x/cb",
        )
    assert caught.value.code == "bad_redirect_uri"
    assert "exactly the redirect URL shown on the card" in caught.value.message


def test_users_lookup_by_email_finds_a_person_or_none(bot):
    assert bot.users_lookup_by_email("grace@acme.example") == "U0GRACE"
    assert bot.users_lookup_by_email("nobody@acme.example") is None


def test_usergroups_create_list_and_update_members(fake_slack, bot):
    group = bot.usergroups_create(name="Ops on call", handle="ops-oncall")
    assert group["handle"] == "ops-oncall"
    assert [g["id"] for g in bot.usergroups_list()] == [group["id"]]
    updated = bot.usergroups_users_update(usergroup=group["id"], users=["U0ADA", "U0GRACE"])
    assert updated["users"] == ["U0ADA", "U0GRACE"]
    assert fake_slack.usergroups[group["id"]]["users"] == ["U0ADA", "U0GRACE"]
    assert fake_slack.calls_of("usergroups.users.update")[0].params["users"] == "U0ADA,U0GRACE"


def test_a_taken_handle_is_explained(fake_slack, bot):
    fake_slack.add_usergroup("S1", "Ops", "ops")
    with pytest.raises(slack.Permanent) as caught:
        bot.usergroups_create(name="Ops on call", handle="ops")
    assert caught.value.code == "handle_already_exists"
    assert "already taken" in caught.value.message


def test_usergroups_disable_and_enable_a_group(fake_slack, bot):
    fake_slack.add_usergroup("S1", "Ops", "ops", ["U0ADA"])
    bot.usergroups_disable(usergroup="S1")
    assert fake_slack.usergroups["S1"]["date_delete"] > 0
    assert bot.usergroups_list() == []  # a disabled group is listed only when asked for
    assert [g["id"] for g in bot.usergroups_list(include_disabled=True)] == ["S1"]
    bot.usergroups_enable(usergroup="S1")
    assert fake_slack.usergroups["S1"]["date_delete"] == 0
    assert [g["id"] for g in bot.usergroups_list()] == ["S1"]
    assert [c.params["usergroup"] for c in fake_slack.calls_of("usergroups.disable")] == ["S1"]
    assert [c.params["team_id"] for c in fake_slack.calls_of("usergroups.enable")] == ["T0ACME"]
    assert fake_slack.usergroups["S1"]["users"] == ["U0ADA"]  # members are kept through it


def test_disabling_a_group_slack_does_not_know_is_permanent(fake_slack, bot):
    with pytest.raises(slack.Permanent) as caught:
        bot.usergroups_disable(usergroup="S0GONE")
    assert caught.value.code == "no_such_subteam"
    with pytest.raises(slack.Permanent):
        bot.usergroups_enable(usergroup="S0GONE")


def test_only_slack_admins_may_switch_groups_in_some_workspaces(fake_slack, bot):
    fake_slack.add_usergroup("S1", "Ops", "ops", ["U0ADA"])
    fake_slack.fail_next("usergroups.disable", body={"ok": False, "error": "permission_denied"})
    with pytest.raises(slack.Permanent) as caught:
        bot.usergroups_disable(usergroup="S1")
    assert "a Slack admin must allow everyone to manage user groups" in caught.value.message
    assert fake_slack.usergroups["S1"]["date_delete"] == 0


def test_emptying_a_user_group_is_refused_without_asking_slack(fake_slack, bot):
    fake_slack.add_usergroup("S1", "Ops", "ops", ["U0ADA"])
    with pytest.raises(slack.Permanent) as caught:
        bot.usergroups_users_update(usergroup="S1", users=[])
    assert caught.value.code == "no_users_provided"
    assert fake_slack.calls["usergroups.users.update"] == 0
    assert fake_slack.usergroups["S1"]["users"] == ["U0ADA"]


def test_the_fake_refuses_an_empty_user_group_as_slack_does(fake_slack, bot):
    fake_slack.add_usergroup("S1", "Ops", "ops", ["U0ADA"])
    with pytest.raises(slack.Permanent) as caught:
        bot._call(bot._web.usergroups_users_update, usergroup="S1", users="")
    assert caught.value.code == "no_users_provided"


def test_conversations_list_follows_the_cursor_through_every_page(fake_slack, bot):
    for n in range(250):
        fake_slack.add_channel(f"C{n:04d}", f"team-{n}")
    channels = bot.conversations_list()
    assert len(channels) == 253
    assert "incident-leads" in {c["name"] for c in channels}
    assert fake_slack.calls["conversations.list"] == 2
    assert {c["name"] for c in bot.conversations_list(include_private=False)} >= {"ops", "random"}
    assert "incident-leads" not in {c["name"] for c in bot.conversations_list(include_private=False)}


def test_conversations_info_and_set_topic(fake_slack, bot):
    assert bot.conversations_set_topic(channel="C0OPS", topic="On call: Ada") == "On call: Ada"
    info = bot.conversations_info(channel="C0OPS")
    assert info["topic"]["value"] == "On call: Ada" and info["topic"]["creator"] == "U0ROSTER"


def test_a_topic_over_250_characters_is_too_long(fake_slack, bot):
    with pytest.raises(slack.Permanent) as caught:
        bot.conversations_set_topic(channel="C0OPS", topic="x" * 251)
    assert caught.value.code == "too_long"
    assert "250 characters" in caught.value.message
    assert fake_slack.channels["C0OPS"]["topic"]["value"] == ""


def test_not_in_channel_says_to_invite_the_bot(fake_slack, bot):
    with pytest.raises(slack.Permanent) as caught:
        bot.conversations_set_topic(channel="C0RANDOM", topic="On call: Ada")
    assert caught.value.code == "not_in_channel"
    assert caught.value.message == (
        "@Roster is not in channel C0RANDOM: invite it (type /invite @Roster in the channel)."
    )


def test_a_missing_channel_is_channel_not_found(bot):
    with pytest.raises(slack.Permanent) as caught:
        bot.conversations_info(channel="C0GONE")
    assert caught.value.code == "channel_not_found"
    assert "invite @Roster" in caught.value.message


def test_chat_post_message_posts_to_a_channel_and_to_a_person(fake_slack, bot):
    assert bot.chat_post_message(channel="C0OPS", text="Ada is on call")
    assert bot.chat_post_message(channel="U0ADA", text="Your shift starts in 2 hours")
    assert [(m["channel"], m["text"]) for m in fake_slack.messages] == [
        ("C0OPS", "Ada is on call"),
        ("D0ADA", "Your shift starts in 2 hours"),
    ]


def test_the_authorize_url_is_url_encoded(settings):
    settings.SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
    url = slack.authorize_url(
        client_id="1.2", scopes=["chat:write", "users:read"], redirect_uri="https://r.example/cb?x=1", state="a b&c"
    )
    assert url == (
        "https://slack.com/oauth/v2/authorize?client_id=1.2&scope=chat%3Awrite%2Cusers%3Aread&user_scope="
        "&redirect_uri=https%3A%2F%2Fr.example%2Fcb%3Fx%3D1&state=a+b%26c"
    )


def test_no_log_line_carries_the_token(fake_slack, captured_logs):
    token = fake_slack.issue_token()
    bot = SlackClient(token)
    bot.auth_test()
    fake_slack.fail_next("auth.test", body={"ok": False, "error": "invalid_auth"})
    with pytest.raises(slack.NeedsReauth):
        bot.auth_test()
    assert token not in captured_logs.text


# --- pacing ----------------------------------------------------------------------------------------


@pytest.fixture
def paced(settings):
    settings.SLACK_PACING = True
    return lambda fake: SlackClient(fake.issue_token(), team_id=f"T{uuid.uuid4().hex[:10].upper()}")


def held(call) -> slack.RateLimited:
    with pytest.raises(slack.RateLimited) as caught:
        call()
    assert caught.value.code == "paced" and not caught.value.permanent
    return caught.value


@pytest.mark.redis
@time_machine.travel("2026-11-30 09:00:05+00:00", tick=False)
def test_the_client_keeps_within_slacks_per_method_limit_without_calling_slack(fake_slack, paced):
    bot = paced(fake_slack)
    for _ in range(20):  # usergroups.list is tier 2: 20 a minute
        bot.usergroups_list()
    refused = held(bot.usergroups_list)
    assert fake_slack.calls["usergroups.list"] == 20
    assert refused.retry_after == 60  # when the first of the 20 leaves the window
    assert "keeps to Slack's limit of 20 per minute usergroups.list calls" in refused.message
    bot.auth_test()  # another method has its own budget
    assert fake_slack.calls["auth.test"] == 1


@pytest.mark.redis
def test_the_window_moves_no_minute_ever_holds_more_calls_than_the_limit(fake_slack, paced):
    bot = paced(fake_slack)
    with time_machine.travel("2026-11-30 09:00:05+00:00", tick=False):
        for _ in range(10):
            bot.usergroups_list()
    with time_machine.travel("2026-11-30 09:00:35+00:00", tick=False):
        for _ in range(10):
            bot.usergroups_list()
        assert held(bot.usergroups_list).retry_after == 30
    with time_machine.travel("2026-11-30 09:01:04+00:00", tick=False):
        assert held(bot.usergroups_list).retry_after == 1  # 09:00:05's ten are still within the minute
    with time_machine.travel("2026-11-30 09:01:06+00:00", tick=False):
        for _ in range(10):  # they have left it: ten more, not twenty
            bot.usergroups_list()
        assert held(bot.usergroups_list).retry_after == 29  # until 09:00:35's leave
    assert fake_slack.calls["usergroups.list"] == 30


@pytest.mark.redis
@time_machine.travel("2026-11-30 09:00:05+00:00", tick=False)
def test_two_workspaces_do_not_share_a_budget(fake_slack, paced):
    first, second = paced(fake_slack), paced(fake_slack)
    for _ in range(20):
        first.usergroups_list()
    held(first.usergroups_list)
    for _ in range(20):
        second.usergroups_list()  # another workspace is not held back
    held(second.usergroups_list)
    assert fake_slack.calls["usergroups.list"] == 40


@pytest.mark.redis
@time_machine.travel("2026-11-30 09:00:05+00:00", tick=False)
def test_messages_are_paced_per_channel(fake_slack, paced):
    bot = paced(fake_slack)
    bot.chat_post_message(channel="C0OPS", text="hi")
    assert held(lambda: bot.chat_post_message(channel="C0OPS", text="one a second")).retry_after == 1
    bot.chat_post_message(channel="G0PRIVATE", text="another channel")
    assert [m["channel"] for m in fake_slack.messages] == ["C0OPS", "G0PRIVATE"]


@pytest.mark.redis
@time_machine.travel("2026-11-30 09:00:05+00:00", tick=False)
def test_pace_holds_back_before_the_calls_that_lead_up_to_it_and_counts_the_call_once(fake_slack, paced):
    bot = paced(fake_slack)
    for _ in range(19):
        bot.conversations_set_topic(channel="C0OPS", topic="On call: Ada")
    bot.pace("conversations.setTopic", channel="C0OPS")  # the 20th: taken before reading the channel
    bot.conversations_info(channel="C0OPS")
    bot.conversations_set_topic(channel="C0OPS", topic="On call: Grace", counted=True)
    assert fake_slack.calls["conversations.setTopic"] == 20
    held(lambda: bot.pace("conversations.setTopic", channel="C0OPS"))
    assert fake_slack.calls["conversations.info"] == 1  # the next topic waits before it reads the channel


def test_the_fake_enforces_slacks_tier_limits_with_429_and_retry_after(fake_slack, bot):
    fake_slack.rate_limits = True
    for _ in range(20):  # tier 2: a minute's worth at once, then 429
        bot.usergroups_list()
    with pytest.raises(slack.RateLimited) as caught:
        bot.usergroups_list()
    assert caught.value.code == "ratelimited" and caught.value.retry_after in (3, 4)
    assert fake_slack.throttled["usergroups.list"] == 1
    assert [c.status for c in fake_slack.calls_of("usergroups.list")][-1] == 429
    for _ in range(3):  # messages: bursts of 3 per channel, then one a second
        bot.chat_post_message(channel="C0OPS", text="hi")
    bot.chat_post_message(channel="G0PRIVATE", text="another channel")
    assert fake_slack.throttled["chat.postMessage"] == 0
    bot.chat_post_message(channel="C0OPS", text="too fast: 429, Retry-After 1, which slack_sdk waits for")
    assert fake_slack.throttled["chat.postMessage"] == 1
    assert len(fake_slack.messages) == 5
