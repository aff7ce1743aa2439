"""Sending to Slack: each kind's call through `integrations.slack`'s client, its typed errors
turned into `registry.SendError` (429 → retry_after, 5xx/network → transient, the rest → permanent
with the fix). Stateful kinds apply the state current when they run (the rotation's latest handoff).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from accounts.actor import Actor
from config.links import public_url
from covers.slack_commands import escape
from integrations.slack import client as slack
from integrations.slack.models import SlackConnection
from integrations.slack.services import client_for, connection_record_error, slack_users_match
from rotations.models import Handoff, Rotation
from rotations.selectors import timeline

from .. import registry
from ..models import Notification, RotationSlack
from . import covers
from .planning import OFF_DUTY, ON_DUTY, REMINDER, TOPIC, USERGROUP
from .settings import (
    TOPIC_MAX,
    audit,
    direct_message_user,
    on_call_label,
    people,
    render,
    rotation_slack_get,
    template_for,
    usable_connection,
)


@contextmanager
def _as_send_errors(connection: SlackConnection) -> Iterator[None]:
    try:
        yield
    except slack.RateLimited as error:
        raise registry.SendError(
            error.message, retry_after=error.retry_after or 30.0, counted=error.code != "paced"
        ) from None
    except slack.Unavailable as error:
        raise registry.SendError(error.message) from None
    except slack.SlackError as error:  # NeedsReauth, Permanent
        if isinstance(error, slack.NeedsReauth):
            connection_record_error(connection, error)
        raise registry.SendError(error.message, permanent=True) from None


def _connection(rotation: Rotation) -> SlackConnection:
    connection = usable_connection(rotation)
    if connection is None:
        raise registry.SendError(
            "Slack is not connected (or needs Reconnect Slack) on Settings → Integrations.", permanent=True
        )
    return connection


def _context(row: Notification) -> tuple[RotationSlack, SlackConnection]:
    config = rotation_slack_get(row.the_rotation)
    connection = _connection(row.the_rotation)
    if config is None:
        raise registry.SendError("This rotation no longer has Slack settings.", permanent=True)
    return config, connection


def _mentions(connection: SlackConnection, label: str, *, mrkdwn: bool = True) -> list[str]:
    """Each person as a Slack mention when matched by email, else by name (escaped for a message's mrkdwn)."""
    found = people(label)
    match = slack_users_match(connection=connection, emails=[e for _, e in found if e])
    named = [(e, escape(name) if mrkdwn else name) for name, e in found]
    return [f"<@{match.linked[e]}>" if e in match.linked else name for e, name in named]


def _when(rotation: Rotation, at: dt.datetime | None) -> str:
    return at.astimezone(rotation.tz).strftime("%a %-d %b %H:%M %Z") if at else ""


def _next_turn(handoff: Handoff) -> tuple[dt.datetime | None, str]:
    """When the shift that starts at this handoff ends, and who comes next (a label), as far as known."""
    slots = sorted(
        timeline(handoff.rotation, since=handoff.at, until=handoff.at + dt.timedelta(days=30)), key=lambda s: s.start
    )
    current = {s.who.label for s in slots if s.who is not None and s.start <= handoff.at < s.end}
    for slot in slots:
        if slot.start > handoff.at and (slot.who.label if slot.who else "") not in current:
            return slot.start, slot.who.label if slot.who else ""
    return None, ""


def values_for(handoff: Handoff, connection: SlackConnection, *, mrkdwn: bool = True) -> dict[str, str]:
    """The placeholders' values; names escaped for a message's mrkdwn (`mrkdwn=False`: the topic, set as typed)."""
    rotation = handoff.rotation
    try:
        until, next_label = _next_turn(handoff)
    except Exception:  # a rotation's timeline must not stop its message
        until, next_label = None, ""
    return {
        "rotation": escape(rotation.name) if mrkdwn else rotation.name,
        "person": ", ".join(_mentions(connection, handoff.to_label, mrkdwn=mrkdwn)) or "nobody",
        "next": ", ".join(_mentions(connection, next_label, mrkdwn=mrkdwn)) or "nobody",
        "since": _when(rotation, handoff.at),
        "until": _when(rotation, until),
        "schedule_url": public_url("rotations:detail", rotation.pk),
    }


def _latest(rotation: Rotation) -> Handoff | None:
    return Handoff.objects.filter(rotation=rotation).select_related("rotation").order_by("-at").first()


def _send_usergroup(row: Notification, config: RotationSlack, connection: SlackConnection) -> None:
    latest = _latest(row.the_rotation)
    bot = client_for(connection)
    with _as_send_errors(connection):
        emails = [e for _, e in people(latest.to_label if latest else "") if e]
        matched = slack_users_match(connection=connection, emails=emails).user_ids()
        ids = list(dict.fromkeys([*matched, *config.permanent_member_ids]))
        if not ids:
            if config.gap_behaviour == RotationSlack.Gap.DISABLE:
                bot.usergroups_disable(usergroup=config.usergroup_id)
                config.group_disabled = True
                note = "Nobody is on call: Roster disabled the user group until someone is."
            else:
                note = "Nobody is on call: Slack refuses an empty user group, so Roster kept it as it was."
            config.group_note = note
            config.save(update_fields=["group_disabled", "group_note", "updated_at"])
            return
        if config.group_disabled:
            bot.usergroups_enable(usergroup=config.usergroup_id)
        bot.usergroups_users_update(usergroup=config.usergroup_id, users=ids)
    config.group_disabled, config.group_note = False, ""
    config.save(update_fields=["group_disabled", "group_note", "updated_at"])


def _send_topic(row: Notification, config: RotationSlack, connection: SlackConnection) -> None:
    latest = _latest(row.the_rotation)
    if latest is None:
        return
    channel = config.topic_channel_id
    bot = client_for(connection)
    with _as_send_errors(connection):
        bot.pace("conversations.setTopic", channel=channel)  # its turn first, then read the channel
        topic = render(template_for(config, "topic_template"), values_for(latest, connection, mrkdwn=False))[:TOPIC_MAX]
        now = str((bot.conversations_info(channel=channel).get("topic") or {}).get("value") or "")
        if now == topic:
            return
        if now and now != config.last_topic:
            note = (
                "Someone changed the channel's topic since Roster set it, so Roster leaves it alone. "
                "Clear the topic (or set it back to Roster's) for Roster to keep it current again."
            )
            config.topic_note = note
            config.save(update_fields=["topic_note", "updated_at"])
            raise registry.SendError(note, permanent=True)
        config.last_topic = bot.conversations_set_topic(channel=channel, topic=topic, counted=True)[:500]
    config.topic_note = ""
    config.save(update_fields=["last_topic", "topic_note", "updated_at"])


def _send_message(row: Notification, config: RotationSlack, connection: SlackConnection) -> None:
    handoff = row.handoff
    if handoff is None:
        return
    template = template_for(config, "on_duty_template" if row.kind == ON_DUTY.key else "off_duty_template")
    values = values_for(handoff, connection)
    if row.kind == OFF_DUTY.key:  # the person going off duty
        values = {**values, "person": ", ".join(_mentions(connection, handoff.from_label)) or "nobody"}
    with _as_send_errors(connection):
        client_for(connection).chat_post_message(channel=row.target.split(":", 1)[1], text=render(template, values))


def _send_reminder(row: Notification, config: RotationSlack, connection: SlackConnection) -> None:
    shift = row.payload["shift"]
    rotation = row.the_rotation
    email = row.target.split(":", 1)[1]
    start, end = dt.datetime.fromisoformat(shift["start"]), dt.datetime.fromisoformat(shift["end"])
    with _as_send_errors(connection):
        user_id = direct_message_user(connection, email, f"{shift['person']['name']} gets no reminder")
        after = [s.who.label for s in timeline(rotation, since=end, until=end + dt.timedelta(seconds=1)) if s.who]
        values = {
            "rotation": escape(rotation.name),
            "person": f"<@{user_id}>",
            "next": ", ".join(_mentions(connection, ", ".join(after))) or "nobody",
            "since": _when(rotation, start),
            "until": _when(rotation, end),
            "schedule_url": public_url("rotations:detail", rotation.pk),
        }
        text = render(template_for(config, "reminder_template"), values)
        client_for(connection).chat_post_message(channel=user_id, text=text)


def send(notification: Notification) -> None:
    if notification.kind in {k.key for k in covers.KINDS}:  # a cover request's (no handoff template)
        connection = _connection(notification.the_rotation)
        with _as_send_errors(connection):
            covers.send_cover(notification, connection, client_for(connection))
        return
    config, connection = _context(notification)
    senders = {
        USERGROUP.key: _send_usergroup,
        TOPIC.key: _send_topic,
        ON_DUTY.key: _send_message,
        OFF_DUTY.key: _send_message,
        REMINDER.key: _send_reminder,
    }
    sender = senders.get(notification.kind)
    if sender is None:
        raise registry.SendError(f"Roster does not know how to send “{notification.kind}” to Slack.", permanent=True)
    sender(notification, config, connection)


def send_test_message(*, rotation: Rotation, actor: Actor | None) -> str:
    """Post the on-duty template, filled with who is on call now, to the message channel. Returns
    what was posted; raises registry.SendError with the reason in plain words."""
    config = rotation_slack_get(rotation)
    connection = usable_connection(rotation)
    if connection is None or config is None or not config.message_channel_id:
        raise registry.SendError("Pick a message channel first (and connect Slack).", permanent=True)
    now = dt.datetime.now(dt.UTC)
    label = on_call_label(rotation, now)
    recorded = _latest(rotation)
    latest = recorded if recorded and recorded.to_label == label else Handoff(rotation=rotation, at=now, to_label=label)
    text = "(Test) " + render(template_for(config, "on_duty_template"), values_for(latest, connection))
    with _as_send_errors(connection):
        client_for(connection).chat_post_message(channel=config.message_channel_id, text=text)
    audit(
        rotation,
        actor,
        "test_message",
        f"Sent a test message for rotation “{rotation.name}” to {config.message_channel_id}",
    )
    return text
