"""What a handoff or an upcoming shift makes on Slack (no network).

At each handoff, per rotation with Slack settings and a Slack connection:
- `slack.usergroup` (stateful): the user group's members = whoever is on call now (+ permanent ids);
- `slack.topic` (stateful): the topic channel's topic, from the template (or the default text), changed only while the
  channel still shows the topic Roster set last (a person's edit is left alone, and said so);
- `slack.on_duty` / `slack.off_duty` (messages, once per handoff) to the message channel (the
  default texts while the templates are empty).

Before a shift: `slack.reminder`, the reminder template as a direct message to the person
(chat.postMessage with their Slack user id), `reminder_hours` before their shift, once per shift;
only for a person with an email Slack knows (matched when sent; someone Slack was asked about and
does not know is not planned).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from integrations.slack.models import SlackUser
from rotations.models import Handoff, Rotation

from .. import registry
from ..models import RotationSlack
from ..registry import UpcomingShift
from .settings import rotation_slack_get, usable_connection

CHANNEL = "slack"
USERGROUP = registry.Kind("slack.usergroup", "Slack on-duty user group", stateful=True)
TOPIC = registry.Kind("slack.topic", "Slack channel topic", stateful=True)
ON_DUTY = registry.Kind("slack.on_duty", "Slack on-duty message")
OFF_DUTY = registry.Kind("slack.off_duty", "Slack off-duty message")
REMINDER = registry.Kind("slack.reminder", "Slack reminder before a shift (direct message)")
KINDS = (USERGROUP, TOPIC, ON_DUTY, OFF_DUTY, REMINDER)


def plan(handoff: Handoff) -> Iterator[registry.Planned]:
    config = rotation_slack_get(handoff.rotation)
    if config is None or usable_connection(handoff.rotation) is None:
        return
    if config.usergroup_id:
        yield registry.Planned(CHANNEL, f"usergroup:{config.usergroup_id}", USERGROUP.key)
    if config.topic_channel_id:  # an empty template sets the default topic
        yield registry.Planned(CHANNEL, f"topic:{config.topic_channel_id}", TOPIC.key)
    if config.message_channel_id:  # an empty template posts the default text
        if handoff.to_label:
            yield registry.Planned(CHANNEL, f"channel:{config.message_channel_id}", ON_DUTY.key)
        if handoff.from_label:
            yield registry.Planned(CHANNEL, f"channel:{config.message_channel_id}", OFF_DUTY.key)


def reminder_leads() -> dict[int, dt.timedelta]:
    """Each rotation's `reminder_hours` (one query)."""
    return {
        rotation_id: dt.timedelta(hours=hours)
        for rotation_id, hours in RotationSlack.objects.filter(reminder_hours__isnull=False).values_list(
            "rotation_id", "reminder_hours"
        )
        if hours
    }


def _reminder_context(rotation: Rotation, cache: dict) -> tuple[RotationSlack | None, set[str]]:
    """This scan's view (read once per scan and organization): the rotation's settings and the
    addresses its workspace was asked about and does not know."""
    if "slack" not in cache:
        cache["slack"] = {c.rotation_id: c for c in RotationSlack.objects.filter(reminder_hours__isnull=False)}
    key = ("slack-unknown", rotation.organization_id)
    if key not in cache:
        connection = usable_connection(rotation)
        cache[key] = (
            None
            if connection is None
            else set(SlackUser.objects.filter(team_id=connection.team_id, user_id="").values_list("email", flat=True))
        )
    config = cache["slack"].get(rotation.pk)
    unknown = cache[key]
    return (config, unknown) if unknown is not None else (None, set())


def plan_reminder(rotation: Rotation, shift: UpcomingShift) -> Iterator[registry.Planned]:
    config, unknown = _reminder_context(rotation, shift.cache)
    email = (shift.person.email or "").lower()
    if config is None or not config.reminder_hours or not email or email in unknown:
        return
    if shift.lead <= dt.timedelta(hours=config.reminder_hours):
        yield registry.Planned(CHANNEL, f"dm:{email}", REMINDER.key)
