"""Cover requests on Slack (issue 25): planned by `plan_cover`, sent by `send_cover`.

In the rotation's message channel (the one that gets handoff messages):
- `slack.cover_offer` ("created"): the request, its times in each reader's own time zone (Slack's
  `<!date^unix^{date_short_pretty} {time}|fallback>`), the note and a **Take it** button (action
  `cover_take`, value the request's id). Its ts is kept (`CoverSlackMessage`);
- `slack.cover_outcome` ("taken", "cancelled", "expired"): that same message updated
  (chat.update): the button gone, a line saying who took it, who cancelled it, or that it expired.
  While the offer is still being posted, the update waits for it; when there is no offer message
  (it failed, or the channel was chosen since), the outcome is posted as a new message;
- `slack.cover_expiring` ("expiring", an hour before the start, nobody took it): a message in the
  channel and a direct message to the requester (when Slack knows their email). Skipped once the
  request is no longer open;
- `slack.cover_failed` ("failed": a take accepted while PagerDuty was busy, refused later): a direct
  message to the taker and one to the requester, saying why and that the request is open again;
- `slack.cover_cancelled` ("cancelled"): a direct message to the taker of a taken request someone else cancelled.
Every message renders the request as it is when sent, so a late offer of a request taken meanwhile
already says who took it, and a retried update is the same update.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from config.links import public_url
from covers.models import CoverRequest
from covers.slack_commands import TAKE_ACTION, escape, mention
from integrations.slack import client as slack
from integrations.slack.models import SlackConnection, SlackUser

from .. import registry
from ..cover_events import cover_of, people_told
from ..models import CoverSlackMessage, Notification
from .planning import CHANNEL
from .settings import direct_message_user, rotation_slack_get, usable_connection

OFFER = registry.Kind("slack.cover_offer", "Slack: cover request offered (Take it)")
OUTCOME = registry.Kind("slack.cover_outcome", "Slack: cover request message updated (taken, cancelled, expired)")
EXPIRING = registry.Kind("slack.cover_expiring", "Slack: nobody has taken a cover request yet", while_open=True)
FAILED = registry.Kind("slack.cover_failed", "Slack: a cover PagerDuty did not take (to the requester and the taker)")
CANCELLED = registry.Kind("slack.cover_cancelled", "Slack: a cover you took was cancelled (to the taker)")
KINDS = (OFFER, OUTCOME, EXPIRING, FAILED, CANCELLED)
DIRECT = {"expiring": EXPIRING, "failed": FAILED, "cancelled": CANCELLED}  # each event's direct messages
OFFER_WAIT = 10.0  # seconds: an outcome waits this long for its offer message to be posted


def plan_cover(cover: CoverRequest, event: str) -> Iterator[registry.Planned]:
    rotation = cover.rotation
    connection = usable_connection(rotation)
    if connection is None:
        return
    config = rotation_slack_get(rotation)
    room = f"channel:{config.message_channel_id}" if config is not None and config.message_channel_id else ""
    if event == "created" and room:
        yield registry.Planned(CHANNEL, room, OFFER.key)
    elif event in ("taken", "cancelled", "expired") and room:
        yield registry.Planned(CHANNEL, room, OUTCOME.key)
    elif event == "expiring" and room:
        yield registry.Planned(CHANNEL, room, EXPIRING.key)
    expiring = {cover.requester_email.strip().lower()} - {""} if event == "expiring" else set()
    emails = expiring or people_told(cover, event)
    unknown = SlackUser.objects.filter(team_id=connection.team_id, email__in=emails, user_id="")
    # someone Slack was asked about and does not know gets no direct message (the channel, an email)
    for email in sorted(emails - set(unknown.values_list("email", flat=True))):
        yield registry.Planned(CHANNEL, f"dm:{email}", DIRECT[event].key)


# --- what the messages say ---------------------------------------------------------------------


def fallback_time(cover: CoverRequest, moment: dt.datetime) -> str:
    rotation = cover.rotation
    return f"{moment.astimezone(rotation.tz):%a %-d %b %H:%M} {rotation.time_zone}"


def stamp(cover: CoverRequest, moment: dt.datetime) -> str:
    """`moment` in each reader's own time zone (Slack's date formatting; the rotation's as fallback)."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback_time(cover, moment)}>"


def _actor(connection: SlackConnection, cover: CoverRequest, label: str) -> str:
    """Who did it (an Actor label: an email, an API token, "system"), as a mention when it is the requester's."""
    if label and label.lower() == cover.requester_email.lower():
        return mention(connection, cover.requester_name, cover.requester_email)
    return mention(connection, label, label) if "@" in (label or "") else escape(label or "Roster")


def _span(cover: CoverRequest) -> str:
    return f"{stamp(cover, cover.start)} – {stamp(cover, cover.end)}"


def _link(cover: CoverRequest) -> str:
    return public_url("rotations:detail", cover.rotation_id)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def outcome_line(cover: CoverRequest, connection: SlackConnection) -> tuple[str, str]:
    """(mrkdwn, plain fallback) of what became of the request; ("", "") while it is open."""
    if cover.status == CoverRequest.Status.TAKEN:
        taker = mention(connection, cover.taker_name, cover.taker_email)
        line = f":white_check_mark: Taken by {taker}."
        plain = f"Taken by {cover.taker_name or cover.taker_email}."
        if cover.swap_start and cover.swap_end:
            requester = mention(connection, cover.requester_name, cover.requester_email)
            line += f" A swap: {requester} covers {stamp(cover, cover.swap_start)} – {stamp(cover, cover.swap_end)}."
            plain += " A swap."
        return line, plain
    if cover.status == CoverRequest.Status.CANCELLED:
        who = _actor(connection, cover, cover.cancelled_by)
        return f":no_entry_sign: Cancelled by {who}.", f"Cancelled by {cover.cancelled_by or 'Roster'}."
    if cover.status == CoverRequest.Status.EXPIRED:
        words = "Expired: nobody took it before it ended."
        return f":hourglass: {words}", words
    return "", ""


def offer_message(cover: CoverRequest, connection: SlackConnection) -> tuple[str, list[dict]]:
    """The offer as it is now: (fallback text, blocks). Open: with the Take it button; else the outcome."""
    requester = mention(connection, cover.requester_name, cover.requester_email)
    rotation = escape(cover.rotation.name)
    head = (
        f":raising_hand: {requester} asks for someone to cover their on-call shift in "
        f"<{_link(cover)}|{rotation}>:\n{_span(cover)}"
    )
    text = (  # without markup, but mrkdwn all the same (a notification's text): names escaped
        f"{escape(cover.requester_name)} asks for cover in {escape(cover.rotation.name)}: "
        f"{fallback_time(cover, cover.start)} – {fallback_time(cover, cover.end)}."
    )
    blocks = [_section(head)]
    if cover.note:
        blocks.append(_section("\n".join(f">{escape(line)}" for line in cover.note.splitlines() or [""])))
    line, plain = outcome_line(cover, connection)
    if line:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
        text += f" {escape(plain)}"
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"cover_{cover.pk}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": TAKE_ACTION,
                        "text": {"type": "plain_text", "text": "Take it"},
                        "style": "primary",
                        "value": str(cover.pk),
                    }
                ],
            }
        )
    return text, blocks


def expiring_text(
    cover: CoverRequest, connection: SlackConnection, *, to_requester: bool, offer_here: bool = False
) -> str:
    """`offer_here`: the request's message with its Take it button is in the channel this goes to."""
    if to_requester:
        return (
            f":hourglass_flowing_sand: Nobody has taken your request for cover in *{escape(cover.rotation.name)}* yet "
            f"({_span(cover)}). If nobody does, you stay on call. <{_link(cover)}|Open the rotation>"
        )
    requester = mention(connection, cover.requester_name, cover.requester_email)
    page = f"<{_link(cover)}|the rotation page>"
    take = f"Use *Take it* on the request in this channel, or {page}." if offer_here else f"Take it on {page}."
    return (
        f":hourglass_flowing_sand: Nobody has taken {requester}'s request for cover in "
        f"*{escape(cover.rotation.name)}* yet, and it starts soon: {_span(cover)}. {take}"
    )


def failed_text(cover: CoverRequest, connection: SlackConnection, *, to_taker: bool) -> str:
    taker = mention(connection, cover.failed_taker_name, cover.failed_taker_email)
    requester = mention(connection, cover.requester_name, cover.requester_email)
    rotation, page = f"*{escape(cover.rotation.name)}*", f"<{_link(cover)}|the rotation page>"
    not_changed = "did not happen: PagerDuty's schedule was not changed, so you are"
    if to_taker:
        text = f"Your cover of {requester}'s shift in {rotation} {not_changed} not on call for it ({_span(cover)})."
        again = f"It is open again: take it again on {page} once what PagerDuty said is solved."
    else:
        text = f"{taker}'s cover of your shift in {rotation} {not_changed} still on call ({_span(cover)})."
        again = f"It is open again: someone else can take it on {page}, or ask {taker} to take it again."
    if cover.apply_state == CoverRequest.Apply.REFUSED and cover.apply_message:
        text += f" {escape(cover.apply_message)}"
    return f":warning: {text}" + (f" {again}" if cover.status == CoverRequest.Status.OPEN else "")


def cancelled_text(cover: CoverRequest, connection: SlackConnection) -> str:
    who = _actor(connection, cover, cover.cancelled_by)
    text = (
        f":no_entry_sign: {who} cancelled the cover you took in *{escape(cover.rotation.name)}*, so you are no longer "
        f"on call for it ({_span(cover)})."
    )
    if cover.apply_message:
        text += f" {escape(cover.apply_message)}"
    return f"{text} <{_link(cover)}|Open the rotation>"


# --- sending -----------------------------------------------------------------------------------


def _post_offer(bot: slack.SlackClient, channel: str, cover: CoverRequest, connection: SlackConnection) -> None:
    text, blocks = offer_message(cover, connection)
    ts = bot.chat_post_message(channel=channel, text=text, blocks=blocks)
    CoverSlackMessage.objects.update_or_create(
        cover_request=cover, defaults={"channel_id": channel, "ts": ts, "posted_at": timezone.now(), "updated_at": None}
    )


def _update_offer(
    bot: slack.SlackClient, message: CoverSlackMessage, cover: CoverRequest, connection: SlackConnection
) -> None:
    text, blocks = offer_message(cover, connection)
    try:
        bot.chat_update(channel=message.channel_id, ts=message.ts, text=text, blocks=blocks)
    except slack.Permanent as error:
        if error.code != "message_not_found":
            raise
        _post_offer(bot, message.channel_id, cover, connection)  # someone deleted it: post it again
        return
    CoverSlackMessage.objects.filter(pk=message.pk).update(updated_at=timezone.now())


def _offer_waiting(cover: CoverRequest) -> bool:
    """Is the offer's row still to be sent (so the outcome must wait for its message)?"""
    return Notification.objects.filter(
        cover_request=cover,
        channel=CHANNEL,
        kind=OFFER.key,
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
    ).exists()


def send_cover(row: Notification, connection: SlackConnection, bot: slack.SlackClient) -> None:
    """Send one cover request row (called inside sending's error mapping)."""
    cover = cover_of(row)
    target = row.target.split(":", 1)[1]
    message = CoverSlackMessage.objects.filter(cover_request=cover).first()
    if row.kind in (OFFER.key, OUTCOME.key):
        if message is not None:  # an offer sent before (a row the sweeper put back, a Resend): update, never a second
            _update_offer(bot, message, cover, connection)
        elif row.kind == OUTCOME.key and _offer_waiting(cover):
            raise registry.SendError(
                "Waiting for the request's Slack message to be posted first.", retry_after=OFFER_WAIT, counted=False
            )
        else:
            _post_offer(bot, target, cover, connection)
    elif row.kind in (FAILED.key, CANCELLED.key):
        user_id = direct_message_user(connection, target, "they get no direct message (the email went)")
        if row.kind == FAILED.key:
            text = failed_text(cover, connection, to_taker=target == cover.failed_taker_email.strip().lower())
        else:
            text = cancelled_text(cover, connection)
        bot.chat_post_message(channel=user_id, text=text)
    elif row.kind == EXPIRING.key:
        if row.target.startswith("dm:"):
            nobody = f"{cover.requester_name} gets no direct message (the channel was told)"
            user_id = direct_message_user(connection, target, nobody)
            bot.chat_post_message(channel=user_id, text=expiring_text(cover, connection, to_requester=True))
        else:
            offer_here = message is not None and message.channel_id == target
            bot.chat_post_message(
                channel=target, text=expiring_text(cover, connection, to_requester=False, offer_here=offer_here)
            )
    else:
        raise registry.SendError(f"Roster does not know how to send “{row.kind}” to Slack.", permanent=True)
