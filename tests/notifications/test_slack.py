"""A rotation's Slack settings, and each handoff applied to Slack once (against tests/fake_slack.py):
the on-duty user group, the channel topic (only while it is still Roster's) and handoff messages."""

import datetime as dt

import pytest
from django.test import Client

from accounts.models import AuditEvent
from notifications import services, tasks
from notifications.models import Notification, RotationSlack
from notifications.slack.sending import send_test_message
from notifications.slack.settings import SlackSettingsError, rotation_slack_update
from rotations import services as rotation_services
from rotations.models import Handoff
from tests.conftest import NOW
from tests.integrations.slack_flow import make_connection
from tests.notifications.conftest import daily

pytestmark = pytest.mark.django_db

ADA = "Ada Lovelace <ada@acme.example>"
GRACE = "Grace Hopper <grace@acme.example>"
NOBODY = "Nemo Nobody <nemo@acme.example>"
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def slack_team(team, org, fake_slack, admin_user):
    make_connection(org, fake_slack)
    fake_slack.add_usergroup("S0ONCALL", "Platform on call", "platform-oncall", ["U0ADM"])
    rotation_slack_update(
        rotation=team,
        actor=None,
        changes={
            "usergroup_id": "S0ONCALL",
            "topic_channel_id": "C0OPS",
            "topic_template": "On call: {person} until {until}",
            "message_channel_id": "C0OPS",
            "on_duty_template": "{person} is on call for {rotation} until {until}; next: {next}",
            "off_duty_template": "{person} is off duty",
        },
    )
    return team


def hand_off(rotation, at, to, frm=""):
    handoff = Handoff.objects.create(rotation=rotation, at=at, to_label=to, from_label=frm)
    tasks.fan_out(handoff.pk)
    return handoff


def results(rotation):
    return {n.kind: (n.status, n.last_error) for n in Notification.objects.filter(rotation=rotation)}


# --- settings -----------------------------------------------------------------------------------


def test_settings_refuse_an_unknown_placeholder_and_a_topic_slack_would_find_too_long(team):
    with pytest.raises(SlackSettingsError, match=r"Unknown placeholder \{who\}"):
        rotation_slack_update(rotation=team, actor=None, changes={"on_duty_template": "{who} is on"})
    with pytest.raises(SlackSettingsError, match="longer than Slack's 250 characters"):
        rotation_slack_update(rotation=team, actor=None, changes={"topic_template": "x" * 220 + "{schedule_url}"})
    with pytest.raises(SlackSettingsError, match="keep"):
        rotation_slack_update(rotation=team, actor=None, changes={"gap_behaviour": "empty"})
    assert not RotationSlack.objects.exists()


def test_changing_slack_settings_is_audited_and_null_turns_a_part_off(team, admin_user):
    from accounts.actor import Actor

    rotation_slack_update(rotation=team, actor=Actor.person(admin_user), changes={"usergroup_id": "S0ONCALL"})
    rotation_slack_update(rotation=team, actor=None, changes={"usergroup_id": None, "reminder_hours": 2})

    config = RotationSlack.objects.get(rotation=team)
    assert (config.usergroup_id, config.reminder_hours) == ("", 2)
    events = AuditEvent.objects.filter(provider="slack", action="rotation_settings").order_by("id")
    assert [e.summary for e in events] == [
        "Changed the Slack settings of rotation “Platform”: usergroup_id",
        "Changed the Slack settings of rotation “Platform”: usergroup_id, reminder_hours",
    ]


# --- handoffs ------------------------------------------------------------------------------------


def test_a_handoff_updates_the_group_the_topic_and_posts_once_even_when_synced_again(slack_team, fake_slack):
    handoff = hand_off(slack_team, NOW - MINUTE, ADA, frm=GRACE)

    assert fake_slack.usergroups["S0ONCALL"]["users"] == ["U0ADA"]
    assert fake_slack.channels["C0OPS"]["topic"]["value"] == "On call: <@U0ADA> until Sat 7 Mar 09:00 UTC"
    assert [m["text"] for m in fake_slack.messages] == [
        "<@U0ADA> is on call for Platform until Sat 7 Mar 09:00 UTC; next: <@U0GRACE>",
        "<@U0GRACE> is off duty",
    ]
    # An overlapping sync, a retry, the sweep: nothing is sent again.
    tasks.fan_out(handoff.pk)
    tasks.sweep()
    for row in Notification.objects.all():
        services.notification_deliver(notification_id=row.pk)
    assert fake_slack.calls["usergroups.users.update"] == 1
    assert fake_slack.calls["conversations.setTopic"] == 1
    assert fake_slack.calls["chat.postMessage"] == 2
    assert {status for status, _ in results(slack_team).values()} == {"sent"}


def test_a_handoff_message_says_which_time_zone_its_times_are_in(org, fake_slack):
    """Slack readers are anywhere: 09:00 New York is not 09:00 in Paris."""
    make_connection(org, fake_slack)
    new_york = daily(
        org,
        [("Ada Lovelace", "ada@acme.example"), ("Grace Hopper", "grace@acme.example")],
        time_zone="America/New_York",
    )
    rotation_slack_update(rotation=new_york, actor=None, changes={"message_channel_id": "C0OPS"})

    hand_off(new_york, NOW - MINUTE, ADA)

    assert [m["text"] for m in fake_slack.messages] == ["<@U0ADA> is on call for Platform until Fri 6 Mar 09:00 EST."]


def test_a_channel_with_empty_templates_posts_the_default_texts_at_a_handoff(slack_team, fake_slack):
    """Choosing the channel is enough: the same default as "Send test message", never silence."""
    rotation_slack_update(rotation=slack_team, actor=None, changes={"on_duty_template": "", "off_duty_template": None})

    hand_off(slack_team, NOW - MINUTE, ADA, frm=GRACE)

    assert [m["text"] for m in fake_slack.messages] == [
        "<@U0ADA> is on call for Platform until Sat 7 Mar 09:00 UTC.",
        "<@U0GRACE> is off duty for Platform.",
    ]
    assert results(slack_team)["slack.on_duty"] == ("sent", "")
    assert send_test_message(rotation=slack_team, actor=None).startswith(
        "(Test) <@U0ADA> is on call for Platform until "
    )


def test_a_topic_channel_with_an_empty_template_gets_the_default_topic_not_silence(
    slack_team, fake_slack, admin_client
):
    rotation_slack_update(rotation=slack_team, actor=None, changes={"topic_template": ""})

    hand_off(slack_team, NOW - MINUTE, ADA, frm=GRACE)

    assert fake_slack.channels["C0OPS"]["topic"]["value"] == "On call for Platform: <@U0ADA> until Sat 7 Mar 09:00 UTC"
    assert results(slack_team)["slack.topic"] == ("sent", "")
    page = admin_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    assert 'placeholder="On call for {rotation}: {person} until {until}"' in page
    assert (
        "<dt>Topic (default)</dt><dd>On call for Platform on-call: &lt;@U0123456789&gt; until Mon 9 Mar 09:00 CET</dd>"
        in page
    )


def test_the_page_shows_the_default_texts_as_placeholders_and_previews_them(slack_team, admin_client):
    rotation_slack_update(rotation=slack_team, actor=None, changes={"on_duty_template": "", "off_duty_template": ""})

    page = admin_client.get(f"/rotations/{slack_team.pk}/").content.decode()

    assert 'placeholder="{person} is on call for {rotation} until {until}."' in page
    assert 'placeholder="{person} is off duty for {rotation}."' in page
    assert "On duty (default)" in page
    assert "&lt;@U0123456789&gt; is on call for Platform on-call until Mon 9 Mar 09:00 CET." in page
    assert "&lt;@U0123456789&gt; is off duty for Platform on-call." in page
    preview = admin_client.post(
        f"/rotations/{slack_team.pk}/slack/preview/", {"message_channel_id": "C0OPS", "off_duty_template": "Bye"}
    ).json()["previews"]
    assert [(p["label"], p["text"]) for p in preview] == [
        ("On duty (default)", "<@U0123456789> is on call for Platform on-call until Mon 9 Mar 09:00 CET."),
        ("Off duty", "Bye"),
    ]
    no_channel = admin_client.post(f"/rotations/{slack_team.pk}/slack/preview/", {"message_channel_id": ""})
    assert no_channel.json()["previews"] == []  # nothing is posted, so no default is shown


def test_an_unmatched_person_never_stops_the_others_and_permanent_members_stay(slack_team, fake_slack):
    rotation_slack_update(rotation=slack_team, actor=None, changes={"permanent_member_ids": ["U0ADM"]})

    hand_off(slack_team, NOW - MINUTE, f"{NOBODY}, {GRACE}")

    assert fake_slack.usergroups["S0ONCALL"]["users"] == ["U0GRACE", "U0ADM"]
    assert fake_slack.messages[0]["text"].startswith("Nemo Nobody, <@U0GRACE> is on call")


def test_a_topic_a_person_edited_is_left_alone_and_the_rotation_says_so(slack_team, fake_slack, member_client):
    hand_off(slack_team, NOW - 2 * MINUTE, ADA)
    fake_slack.channels["C0OPS"]["topic"]["value"] = "Freeze until Monday – ask Ana"

    hand_off(slack_team, NOW - MINUTE, GRACE, frm=ADA)

    assert fake_slack.channels["C0OPS"]["topic"]["value"] == "Freeze until Monday – ask Ana"
    assert fake_slack.calls["conversations.setTopic"] == 1
    assert "Someone changed the channel's topic" in RotationSlack.objects.get().topic_note
    page = member_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    assert "Someone changed the channel&#x27;s topic since Roster set it" in page
    assert fake_slack.usergroups["S0ONCALL"]["users"] == ["U0GRACE"]  # the rest still happened


def test_a_gap_keeps_the_group_as_it_was_and_says_so(slack_team, fake_slack):
    hand_off(slack_team, NOW - 2 * MINUTE, ADA)
    hand_off(slack_team, NOW - MINUTE, "", frm=ADA)

    assert fake_slack.usergroups["S0ONCALL"]["users"] == ["U0ADA"]
    assert fake_slack.calls["usergroups.users.update"] == 1
    assert "Slack refuses an empty user group, so Roster kept it" in RotationSlack.objects.get().group_note
    assert [m["text"] for m in fake_slack.messages][-1] == "<@U0ADA> is off duty"


def test_a_gap_disables_the_group_when_the_admin_chose_that_and_the_next_person_enables_it(slack_team, fake_slack):
    rotation_slack_update(rotation=slack_team, actor=None, changes={"gap_behaviour": "disable"})
    hand_off(slack_team, NOW - 3 * MINUTE, "")
    assert fake_slack.usergroups["S0ONCALL"]["date_delete"] != 0

    hand_off(slack_team, NOW - MINUTE, GRACE)

    assert fake_slack.usergroups["S0ONCALL"]["date_delete"] == 0
    assert fake_slack.usergroups["S0ONCALL"]["users"] == ["U0GRACE"]


def test_a_channel_roster_is_not_in_is_shown_on_the_rotation_in_plain_words(slack_team, fake_slack, member_client):
    rotation_slack_update(rotation=slack_team, actor=None, changes={"message_channel_id": "C0RANDOM"})

    hand_off(slack_team, NOW - MINUTE, ADA)

    status, reason = results(slack_team)["slack.on_duty"]
    assert status == "failed"
    assert reason == "@Roster is not in channel C0RANDOM: invite it (type /invite @Roster in the channel)."
    page = member_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    assert "invite it (type /invite @Roster in the channel)" in page


def test_slack_rate_limiting_is_retried_after_its_retry_after(slack_team, fake_slack, member_client):
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "30"})

    hand_off(slack_team, NOW - MINUTE, ADA)

    row = Notification.objects.get(kind="slack.on_duty")
    assert row.status == "pending" and row.last_error == "Slack is rate-limiting Roster; it will try again."
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=30)
    assert fake_slack.messages == []
    page = member_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    assert ">12:00 UTC</time> (attempt 2)" in page and " s." not in page.split(row.last_error)[1][:80]


def test_a_group_update_held_by_roster_pace_waits_for_the_window_and_is_not_an_attempt(
    slack_team, fake_slack, settings, frozen, member_client
):
    from integrations.slack.client import SlackClient

    settings.SLACK_PACING = True
    busy = SlackClient(fake_slack.issue_token(), team_id=fake_slack.team_id)
    fake_slack.add_usergroup("S0OTHER", "Other on call", "other-oncall", ["U0ADM"])
    frozen.move_to(NOW - dt.timedelta(seconds=20.5))
    for _ in range(20):  # other rotations' updates took the workspace's 20 a minute, 20.5 s ago
        busy.usergroups_users_update(usergroup="S0OTHER", users=["U0ADM"])
    frozen.move_to(NOW)

    hand_off(slack_team, NOW - MINUTE, ADA)

    row = Notification.objects.get(kind="slack.usergroup")
    assert row.status == "pending" and row.attempts == 0
    assert "keeps to Slack's limit of 20 per minute usergroups.users.update calls" in row.last_error
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=40)  # when the window frees (39.5 s, rounded up)
    assert "40 s" not in row.last_error  # a countdown would be stale on the page: it shows the next try
    assert ">12:00 UTC</time> (attempt 1)" in member_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    assert fake_slack.calls["usergroups.users.update"] == 20 and fake_slack.throttled == {}
    assert results(slack_team)["slack.on_duty"][0] == "sent"  # a message has its own budget

    frozen.move_to(row.next_attempt_at)
    assert services.notification_deliver(notification_id=row.pk).status == "sent"
    row.refresh_from_db()
    assert row.attempts == 1 and fake_slack.usergroups["S0ONCALL"]["users"] == ["U0ADA"]


def test_slack_down_is_tried_again_later(slack_team, fake_slack):
    fake_slack.fail_next("usergroups.users.update", status=503, body={})

    hand_off(slack_team, NOW - MINUTE, ADA)

    row = Notification.objects.get(kind="slack.usergroup")
    assert row.status == "pending" and "HTTP 503" in row.last_error


def test_a_rotation_without_slack_settings_makes_no_slack_notifications(team, org, fake_slack):
    make_connection(org, fake_slack)
    hand_off(team, NOW - MINUTE, ADA)
    assert not Notification.objects.filter(channel="slack").exists()
    assert fake_slack.log == []


def test_a_test_message_is_posted_and_audited(slack_team, fake_slack):
    hand_off(slack_team, NOW - MINUTE, ADA)

    text = send_test_message(rotation=slack_team, actor=None)

    assert text.startswith("(Test) <@U0ADA> is on call for Platform")
    assert fake_slack.messages[-1]["text"] == text
    assert AuditEvent.objects.filter(provider="slack", action="test_message").count() == 1


# --- the rotation page ---------------------------------------------------------------------------


def test_the_rotation_page_has_no_slack_section_until_slack_is_connected(team, member_client):
    page = member_client.get(f"/rotations/{team.pk}/").content.decode()
    assert 'data-testid="rotation-slack"' not in page


def test_an_admin_picks_the_group_and_channels_from_slack_and_sees_who_is_linked(
    team, org, fake_slack, admin_client, member_user
):
    make_connection(org, fake_slack)
    fake_slack.add_usergroup("S0ONCALL", "Platform on call", "platform-oncall", ["U0ADM"])
    rotation_services.member_add(rotation=team, name="Nemo Nobody", email="nemo@acme.example")

    page = admin_client.get(f"/rotations/{team.pk}/").content.decode()
    assert '<option value="S0ONCALL">@platform-oncall (Platform on call)</option>' in page
    assert '<option value="C0OPS">#ops</option>' in page and "#incident-leads (private)" in page

    response = admin_client.post(
        f"/rotations/{team.pk}/slack/",
        {
            "usergroup_id": "S0ONCALL",
            "gap_behaviour": "keep",
            "permanent_member_ids": "U0ADM",
            "topic_channel_id": "C0OPS",
            "topic_template": "On call: {person}",
            "message_channel_id": "C0OPS",
            "on_duty_template": "{person} is on call for {rotation}",
            "off_duty_template": "",
        },
    )
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "Slack settings saved." in page
    assert "2 of 3 linked to Slack; not linked (no Slack user with that email): nemo@acme.example." in page
    assert "On call: &lt;@U0123456789&gt;" in page  # the preview, with sample values
    assert '<option value="S0ONCALL" selected>' in page
    assert RotationSlack.objects.get().permanent_member_ids == ["U0ADM"]

    member_client = Client()  # admin_client and member_client are one client
    member_client.force_login(member_user)
    member_page = member_client.get(f"/rotations/{team.pk}/").content.decode()
    assert "2 of 3 linked to Slack" in member_page
    assert "Save Slack settings" not in member_page and "Send test message" not in member_page
    assert member_client.post(f"/rotations/{team.pk}/slack/", {"usergroup_id": ""}).status_code in (403, 404)
    assert RotationSlack.objects.get().usergroup_id == "S0ONCALL"


def test_a_member_added_later_shows_as_not_looked_up_yet_until_a_save_looks_them_up(
    team, org, fake_slack, admin_client
):
    make_connection(org, fake_slack)
    admin_client.post(f"/rotations/{team.pk}/slack/", {"gap_behaviour": "keep"})  # looks Ada and Grace up
    rotation_services.member_add(rotation=team, name="Nemo Nobody", email="nemo@acme.example")
    rotation_services.member_add(rotation=team, name="The Admin", email="admin@acme.example")
    lookups = fake_slack.calls["users.lookupByEmail"]

    page = admin_client.get(f"/rotations/{team.pk}/").content.decode()
    assert (
        "2 of 4 linked to Slack; not looked up in Slack yet: nemo@acme.example, admin@acme.example (Roster looks"
        in page
    )
    assert "no Slack user with that email" not in page  # nobody has asked Slack about them
    assert fake_slack.calls["users.lookupByEmail"] == lookups  # the page itself never calls Slack

    admin_client.post(f"/rotations/{team.pk}/slack/", {"gap_behaviour": "keep"})
    page = admin_client.get(f"/rotations/{team.pk}/").content.decode()
    assert "3 of 4 linked to Slack; not linked (no Slack user with that email): nemo@acme.example." in page
    assert "not looked up" not in page
    found = admin_client.get(f"/api/rotations/{team.pk}/").json()["slack"]
    assert (found["linked"], found["total"], found["unlinked"]) == (3, 4, ["nemo@acme.example"])


def test_a_template_with_an_unknown_placeholder_is_not_saved_and_the_page_says_why(slack_team, admin_client):
    response = admin_client.post(f"/rotations/{slack_team.pk}/slack/", {"on_duty_template": "{who} is on"}, follow=True)
    assert "Slack settings not saved: Unknown placeholder {who}" in response.content.decode()
    assert RotationSlack.objects.get().on_duty_template.startswith("{person} is on call")


def test_send_test_message_posts_to_the_channel_or_says_why_not(slack_team, fake_slack, admin_client):
    response = admin_client.post(f"/rotations/{slack_team.pk}/slack/test/", follow=True)
    assert "Test message sent to Slack." in response.content.decode()
    assert fake_slack.messages[-1]["text"].startswith("(Test) ")

    fake_slack.channels["C0OPS"]["is_member"] = False
    response = admin_client.post(f"/rotations/{slack_team.pk}/slack/test/", follow=True)
    assert "Test message not sent: @Roster is not in channel C0OPS: invite it" in response.content.decode()


def test_the_preview_endpoint_fills_the_typed_templates_without_saving_them(slack_team, admin_client):
    response = admin_client.post(
        f"/rotations/{slack_team.pk}/slack/preview/",
        {"topic_template": "On call: {person}", "on_duty_template": "{who} is on", "off_duty_template": ""},
    )
    assert response.status_code == 200
    assert response.json()["previews"] == [
        {"field": "topic_template", "label": "Topic", "text": "On call: <@U0123456789>", "error": False},
        {
            "field": "on_duty_template",
            "label": "On duty",
            "text": "Unknown placeholder {who}: use {rotation}, {person}, {next}, {since}, {until}, {schedule_url}.",
            "error": True,
        },
    ]
    long = admin_client.post(f"/rotations/{slack_team.pk}/slack/preview/", {"topic_template": "x" * 240 + "{person}"})
    assert long.json()["previews"][0]["text"].startswith("The topic would be longer than Slack's 250 characters")
    assert RotationSlack.objects.get().topic_template == "On call: {person} until {until}"  # nothing saved


def test_only_admins_ask_for_a_preview(slack_team, member_client):
    response = member_client.post(f"/rotations/{slack_team.pk}/slack/preview/", {"topic_template": "{person}"})
    assert response.status_code in (403, 404)
    assert member_client.get(f"/rotations/{slack_team.pk}/slack/preview/").status_code in (403, 404, 405)


def test_an_admin_sets_the_reminder_direct_message_on_the_page_and_sees_its_preview(slack_team, admin_client):
    response = admin_client.post(
        f"/rotations/{slack_team.pk}/slack/",
        {"reminder_hours": "12", "reminder_template": "Heads up {person}: {rotation} starts {since}"},
        follow=True,
    )
    page = response.content.decode()
    assert "Slack settings saved." in page
    settings = RotationSlack.objects.get()
    assert (settings.reminder_hours, settings.reminder_template) == (12, "Heads up {person}: {rotation} starts {since}")
    assert 'name="reminder_hours" type="number" min="1" max="168" inputmode="numeric" value="12"' in page
    assert "Reminder (direct message)" in page and "Heads up &lt;@U0123456789&gt;: Platform on-call starts" in page

    refused = admin_client.post(f"/rotations/{slack_team.pk}/slack/", {"reminder_hours": "400"}, follow=True)
    assert "Slack settings not saved: A whole number of hours from 1 to 168." in refused.content.decode()
    assert RotationSlack.objects.get().reminder_hours == 12

    admin_client.post(f"/rotations/{slack_team.pk}/slack/", {"reminder_hours": ""})
    assert RotationSlack.objects.get().reminder_hours is None


def test_a_refused_save_keeps_what_was_typed_and_says_which_field_is_wrong(slack_team, admin_client):
    typed = {
        "usergroup_id": "S0ONCALL",
        "gap_behaviour": "disable",
        "permanent_member_ids": "U0ADM",
        "topic_channel_id": "C0OPS",
        "topic_template": "Now: {person}",
        "message_channel_id": "C0OPS",
        "on_duty_template": "Hello {person}, you have {rotation}",
        "off_duty_template": "Bye {who}",
        "reminder_hours": "6",
        "reminder_template": "Soon: {rotation}",
    }

    page = admin_client.post(f"/rotations/{slack_team.pk}/slack/", typed).content.decode()

    assert "Slack settings not saved: Unknown placeholder {who}" in page
    off_duty = page.split('id="slack-off-duty"', 1)[1].split("</p>", 1)[0]
    assert (
        ">Bye {who}</textarea>" in off_duty and 'class="error"' in off_duty and "Unknown placeholder {who}" in off_duty
    )
    # The input is tied to its error (as includes/field.html does): only the field the refusal is about.
    assert '<span class="error" id="slack-off-duty_error" role="alert">' in off_duty
    assert (
        '<textarea id="slack-off-duty" aria-invalid="true" aria-describedby="slack-off-duty_error slack-placeholders"'
        in page
    )
    assert page.count('aria-invalid="true"') == 1
    assert '<textarea id="slack-on-duty" aria-describedby="slack-placeholders" name=' in page
    assert ">Hello {person}, you have {rotation}</textarea>" in page
    assert 'value="Now: {person}"' in page and 'value="6"' in page
    assert '<option value="disable" selected>' in page
    assert RotationSlack.objects.get().off_duty_template == "{person} is off duty"  # nothing saved


def test_a_member_reads_the_group_and_channels_by_their_slack_names_not_their_ids(slack_team, member_client):
    page = member_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    settings = page.split('class="slack-settings"', 1)[1].split("</dl>", 1)[0]

    assert "<dt>On-duty user group</dt><dd>@platform-oncall (Platform on call)</dd>" in settings
    assert "<dt>Topic channel</dt><dd>#ops</dd>" in settings
    assert "<dt>Handoff message channel</dt><dd>#ops</dd>" in settings
    assert "C0OPS" not in settings and "S0ONCALL" not in settings


def test_a_nul_character_in_a_template_is_refused_not_a_500_on_postgresql(slack_team, admin_client):
    page = admin_client.post(f"/rotations/{slack_team.pk}/slack/", {"topic_template": "On call\x00: {person}"})

    assert "Slack settings not saved: Text may not contain NUL characters." in page.content.decode()
    assert RotationSlack.objects.get().topic_template == "On call: {person} until {until}"


def test_the_notifications_section_names_each_target_and_asks_slack_at_most_once(
    slack_team, org, fake_slack, member_client
):
    from outgoing.models import Endpoint

    endpoint = Endpoint.objects.create(organization=org, url="https://hooks.example.com/t/abc123", secret="whsec_x")
    targets = [
        ("slack", "usergroup:S0ONCALL", "slack.usergroup"),
        ("slack", "topic:C0OPS", "slack.topic"),
        ("slack", "dm:ada@acme.example", "slack.reminder"),
        ("email", "email:grace@acme.example", "email.reminder"),
        ("email", "email:someone@else.example", "email.shift_moved"),
        ("webhook", f"endpoint:{endpoint.pk}", "webhook.rotation.handoff"),
    ]
    for channel, target, kind in targets:
        Notification.objects.create(
            organization=org, rotation=slack_team, source="s", source_at=NOW, channel=channel, target=target, kind=kind
        )

    page = member_client.get(f"/rotations/{slack_team.pk}/").content.decode()
    section = page[page.index('data-testid="notifications"') :].split("</ol>")[0]
    for shown in (
        "to @platform-oncall (Platform on call)",
        "to #ops",
        "to Ada Lovelace &lt;ada@acme.example&gt;",
        "to Grace Hopper &lt;grace@acme.example&gt;",
        "to someone@else.example",
        "to hooks.example.com",
    ):
        assert shown in section
    assert "S0ONCALL" not in section and "endpoint:" not in section and "abc123" not in section
    assert fake_slack.calls["usergroups.list"] == 1 and fake_slack.calls["conversations.list"] == 1


def test_a_rotation_or_person_name_with_mrkdwn_characters_shows_literally_and_pings_nobody(org, fake_slack):
    """`&`, `<` and `>` in a rotation's or a person's name are Slack's control characters: a rotation
    called "R&D <!channel>" must not ping the channel nor lose its ampersand."""
    make_connection(org, fake_slack)
    rotation = daily(org, [("Ada Lovelace", "ada@acme.example"), ("Bo & Co", "bo@acme.example")])
    rotation.name = "R&D <!channel>"
    rotation.save()
    rotation_slack_update(rotation=rotation, actor=None, changes={"message_channel_id": "C0OPS"})

    hand_off(rotation, NOW - MINUTE, "Bo & Co <bo@acme.example>", frm=ADA)

    assert [m["text"] for m in fake_slack.messages] == [
        "Bo &amp; Co is on call for R&amp;D &lt;!channel&gt; until Sat 7 Mar 09:00 UTC.",
        "<@U0ADA> is off duty for R&amp;D &lt;!channel&gt;.",
    ]
    assert "<!channel>" not in send_test_message(rotation=rotation, actor=None)
