"""Cover requests on Slack (against tests/fake_slack.py): the offer in the rotation's message
channel with a Take it button and the times in each reader's time zone, the same message updated
when it is taken, cancelled or expires, and "nobody took it yet" to the channel and the requester."""

import datetime as dt

import pytest

from notifications import services, tasks
from notifications.models import CoverSlackMessage, Notification
from notifications.slack.settings import rotation_slack_update
from tests.conftest import NOW
from tests.integrations.slack_flow import make_connection
from tests.notifications.covers import ask, happen

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)  # Ada's next shift (the `team` rotation: Ada, Grace, Ada...)
END = START + dt.timedelta(days=1)
ADA, GRACE = "ada@acme.example", "grace@acme.example"


def buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def shown(message: dict) -> str:
    """Every text of the message's blocks, as one string."""
    parts = []
    for block in message.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def deliver_everything():
    for row in Notification.objects.all():
        services.notification_deliver(notification_id=row.pk)


def test_an_offer_is_one_message_with_take_it_and_times_in_each_reader_s_time_zone(slack_team, fake_slack):
    cover = ask(slack_team, ADA, START, END, note="Dentist <3 & a long drive")

    assert len(fake_slack.messages) == 1
    message = fake_slack.messages[0]
    assert message["channel"] == "C0OPS"
    assert buttons(message) == [
        {
            "type": "button",
            "action_id": "cover_take",
            "text": {"type": "plain_text", "text": "Take it"},
            "style": "primary",
            "value": str(cover.pk),
        }
    ]
    text = shown(message)
    assert "<@U0ADA> asks for someone to cover their on-call shift" in text
    assert (
        f"<!date^{int(START.timestamp())}^{{date_short_pretty}} {{time}}|Sun 8 Mar 09:00 UTC> – "
        f"<!date^{int(END.timestamp())}^{{date_short_pretty}} {{time}}|Mon 9 Mar 09:00 UTC>"
    ) in text
    assert ">Dentist &lt;3 &amp; a long drive" in text  # the note, escaped for Slack
    assert message["text"].startswith("Ada Lovelace asks for cover in Platform: Sun 8 Mar 09:00 UTC")

    # The sweep, another nudge and a retry of every row overlap the listener: still one message.
    tasks.sweep()
    tasks.cover_nudge(event="created", cover_request_id=cover.pk)
    deliver_everything()
    assert fake_slack.calls["chat.postMessage"] == 1
    row = Notification.objects.get()
    assert (row.source, row.kind, row.target, row.status, row.cover_request_id) == (
        f"cover:{cover.pk}:created",
        "slack.cover_offer",
        "channel:C0OPS",
        "sent",
        cover.pk,
    )
    assert CoverSlackMessage.objects.get(cover_request=cover).ts == message["ts"]


def test_taking_it_updates_the_same_message_without_the_button(slack_team, fake_slack):
    cover = ask(slack_team, ADA, START, END)
    ts = fake_slack.messages[0]["ts"]

    happen(cover, "taken", by=GRACE)
    tasks.sweep()
    deliver_everything()

    assert fake_slack.calls["chat.postMessage"] == 1  # no second message
    assert fake_slack.calls["chat.update"] == 1
    assert [(u["channel"], u["ts"]) for u in fake_slack.updates] == [("C0OPS", ts)]
    message = fake_slack.messages[0]
    assert buttons(message) == []
    assert ":white_check_mark: Taken by <@U0GRACE>." in shown(message)
    assert message["text"].endswith("Taken by Grace Hopper.")


def test_the_offer_s_notification_text_shows_a_rotation_name_literally_and_pings_nobody(slack_team, fake_slack):
    """The message's `text` (what a notification and a screen reader show) is mrkdwn too: a rotation
    called "R&D <!channel>" must not ping the channel when a request is offered, nor when it is taken."""
    slack_team.name = "R&D <!channel>"
    slack_team.save()
    cover = ask(slack_team, ADA, START, END)

    assert fake_slack.messages[0]["text"] == (
        "Ada Lovelace asks for cover in R&amp;D &lt;!channel&gt;: Sun 8 Mar 09:00 UTC – Mon 9 Mar 09:00 UTC."
    )
    happen(cover, "taken", by=GRACE)
    assert "<!channel>" not in fake_slack.messages[0]["text"]
    assert fake_slack.messages[0]["text"].endswith(
        "R&amp;D &lt;!channel&gt;: Sun 8 Mar 09:00 UTC – Mon 9 Mar 09:00 UTC. Taken by Grace Hopper."
    )


def test_cancelled_and_expired_requests_say_so_in_the_same_message(slack_team, fake_slack):
    first = ask(slack_team, ADA, START, END)
    second = ask(slack_team, ADA, END, END + dt.timedelta(hours=4))

    happen(first, "cancelled", by=ADA)
    happen(second, "expired")

    assert fake_slack.calls["chat.postMessage"] == 2 and fake_slack.calls["chat.update"] == 2
    one, two = fake_slack.messages
    assert buttons(one) == [] and ":no_entry_sign: Cancelled by <@U0ADA>." in shown(one)
    assert buttons(two) == [] and ":hourglass: Expired: nobody took it before it ended." in shown(two)


def test_an_update_waits_for_its_offer_and_never_posts_a_second_message(slack_team, fake_slack, frozen):
    fake_slack.fail_next("chat.postMessage", status=500, body={"ok": False, "error": "internal_error"})
    cover = ask(slack_team, ADA, START, END)  # Slack failed: the offer waits for its retry
    happen(cover, "taken", by=GRACE)

    outcome = Notification.objects.get(kind="slack.cover_outcome")
    assert outcome.status == "pending" and outcome.attempts == 0  # waiting is not an attempt
    assert "Waiting for the request's Slack message" in outcome.last_error
    assert fake_slack.messages == []

    frozen.move_to(NOW + dt.timedelta(minutes=5))
    tasks.sweep()  # the offer's retry, then the update

    assert fake_slack.calls["chat.postMessage"] == 2  # the failed one and the one that went
    assert len(fake_slack.messages) == 1
    assert buttons(fake_slack.messages[0]) == []
    assert "Taken by <@U0GRACE>" in shown(fake_slack.messages[0])
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_an_outcome_with_no_offer_message_is_posted_as_a_new_message(team, org, fake_slack):
    make_connection(org, fake_slack)
    cover = ask(team, ADA, START, END)  # no message channel yet: no offer
    rotation_slack_update(rotation=team, actor=None, changes={"message_channel_id": "C0OPS"})

    happen(cover, "taken", by=GRACE)

    assert fake_slack.calls["chat.update"] == 0
    assert len(fake_slack.messages) == 1 and "Taken by <@U0GRACE>" in shown(fake_slack.messages[0])


def test_nobody_took_it_yet_goes_to_the_channel_and_to_the_requester_once(slack_team, fake_slack):
    cover = ask(slack_team, ADA, START, END)

    happen(cover, "expiring")
    tasks.sweep()
    deliver_everything()

    offer, channel, direct = fake_slack.messages
    assert channel["channel"] == "C0OPS" and "Nobody has taken <@U0ADA>'s request for cover" in channel["text"]
    assert (
        direct["channel"] == "D0ADA" and "Nobody has taken your request for cover in *Platform* yet" in direct["text"]
    )
    assert "Sun 8 Mar 09:00 UTC" in direct["text"]
    assert fake_slack.calls["chat.postMessage"] == 3


def test_nobody_took_it_yet_is_skipped_once_someone_took_it(slack_team, fake_slack):
    cover = ask(slack_team, ADA, START, END)
    fake_slack.fail_next("chat.postMessage", status=500, body={"ok": False, "error": "internal_error"})
    happen(cover, "expiring")  # the channel's message failed once; the DM went
    happen(cover, "taken", by=GRACE)

    deliver_everything()
    rows = Notification.objects.filter(kind="slack.cover_expiring")
    assert sorted(rows.values_list("target", "status")) == [
        ("channel:C0OPS", "skipped"),
        ("dm:ada@acme.example", "sent"),
    ]
    assert "taken, cancelled or expired before it could be delivered" in rows.get(target="channel:C0OPS").last_error


def test_a_requester_slack_does_not_know_gets_the_channel_message_only(slack_team, fake_slack):
    del fake_slack.users["ada@acme.example"]
    cover = ask(slack_team, ADA, START, END)  # the offer names her: Slack was asked and does not know her

    happen(cover, "expiring")

    assert list(Notification.objects.filter(kind="slack.cover_expiring").values_list("target", "status")) == [
        ("channel:C0OPS", "sent")
    ]
    assert "Nobody has taken Ada Lovelace's request" in fake_slack.messages[-1]["text"]


def test_a_take_pagerduty_refused_later_is_told_to_the_taker_and_the_requester_once(slack_team, fake_slack):
    cover = ask(slack_team, ADA, START, END)

    happen(cover, "failed", by=GRACE, tell=False)  # the listener never heard of it: the sweep finds it
    tasks.sweep()
    tasks.cover_nudge(event="failed", cover_request_id=cover.pk)
    deliver_everything()

    offer, *direct = fake_slack.messages
    assert buttons(offer)  # still on offer in the channel
    to = {message["channel"]: message["text"] for message in direct}
    assert sorted(to) == ["D0ADA", "D0GRACE"]
    assert to["D0GRACE"].startswith(
        ":warning: Your cover of <@U0ADA>'s shift in *Platform* did not happen: PagerDuty's schedule was not changed, "
        "so you are not on call for it ("
    )
    assert to["D0ADA"].startswith(
        ":warning: <@U0GRACE>'s cover of your shift in *Platform* did not happen: PagerDuty's schedule was not "
        "changed, so you are still on call ("
    )
    for text in to.values():
        assert "Sun 8 Mar 09:00 UTC" in text and "PagerDuty could not be reached for a long time." in text
    assert "It is open again: take it again on" in to["D0GRACE"]
    assert "It is open again: someone else can take it on <https://" in to["D0ADA"]
    assert "|the rotation page>, or ask <@U0GRACE> to take it again." in to["D0ADA"]
    assert fake_slack.calls["chat.postMessage"] == 3


def test_the_taker_hears_once_on_slack_when_the_cover_they_took_is_cancelled_but_not_when_they_cancel_it(
    slack_team, fake_slack
):
    mine = ask(slack_team, ADA, START, END)
    happen(mine, "taken", by=GRACE)
    happen(mine, "cancelled", by=ADA, apply_message="The override was deleted.")
    theirs = ask(slack_team, ADA, END, END + dt.timedelta(hours=2))
    happen(theirs, "taken", by=GRACE)
    happen(theirs, "cancelled", by=GRACE)  # Grace cancelled the cover she took herself
    tasks.sweep()
    tasks.cover_nudge(event="cancelled", cover_request_id=mine.pk)
    deliver_everything()

    direct = [message for message in fake_slack.messages if not message["channel"].startswith("C")]
    assert [message["channel"] for message in direct] == ["D0GRACE"]
    text = direct[0]["text"]
    assert text.startswith(":no_entry_sign: <@U0ADA> cancelled the cover you took in *Platform*, so you are no longer")
    assert "Sun 8 Mar 09:00 UTC" in text and "The override was deleted." in text
    assert ":no_entry_sign: Cancelled by <@U0ADA>." in shown(fake_slack.messages[0])  # the channel's message too


def test_each_failed_take_of_one_request_is_told_to_its_taker_and_again_to_the_requester(
    slack_team, fake_slack, frozen
):
    from django.core import mail

    from rotations.models import Member

    Member.objects.create(rotation=slack_team, name="Ann Admin", email="admin@acme.example", position=2)
    cover = ask(slack_team, ADA, START, END)
    happen(cover, "failed", by=GRACE)
    frozen.move_to(NOW + dt.timedelta(minutes=30))
    happen(cover, "failed", by="admin@acme.example", tell=False)  # Ann's take failed too: the sweep finds it
    tasks.sweep()
    tasks.cover_nudge(event="failed", cover_request_id=cover.pk)
    deliver_everything()

    direct = sorted(message["channel"] for message in fake_slack.messages if not message["channel"].startswith("C"))
    assert direct == ["D0ADA", "D0ADA", "D0ADM", "D0GRACE"]
    told = sorted(m.to[0] for m in mail.outbox if "did not happen" in m.subject)
    assert told == [ADA, ADA, "admin@acme.example", GRACE]
