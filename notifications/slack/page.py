"""The rotation page's Slack section: pickers, linked members, template previews."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from integrations.slack import client as slack
from integrations.slack.models import SlackConnection
from integrations.slack.selectors import get_connection, normalize_email, slack_match_cached
from integrations.slack.services import client_for, slack_users_match
from rotations.models import Rotation

from .. import registry
from ..forms import NewUserGroupForm
from ..models import RotationSlack
from .settings import (
    DEFAULT_TEMPLATES,
    PICKERS_SECONDS,
    PLACEHOLDERS,
    SAMPLE,
    SlackSettingsError,
    clean,
    pickers_key,
    render,
    rotation_slack_get,
    usable_connection,
)


@dataclass(frozen=True)
class Linked:
    """How many of a rotation's members are linked to Slack, from the cache: `unlinked` emails are
    not linked; `unchecked`, those of them never looked up in Slack yet (a member just added)."""

    linked: int
    total: int
    unlinked: list[str]
    unchecked: list[str]

    @property
    def not_found(self) -> list[str]:
        """Looked up, and Slack has no user with that email."""
        return [e for e in self.unlinked if e not in self.unchecked]


def linked_many(rotations: Iterable[Rotation], connection: SlackConnection) -> dict[int, Linked]:
    """How many of each rotation's members are linked to Slack, in one read of the cache (members
    prefetched or not)."""
    emails = {r.pk: [m.email for m in r.members.all()] for r in rotations}
    known = slack_match_cached(team_id=connection.team_id, emails=[e for found in emails.values() for e in found])
    counts = {}
    for rotation_id, found in emails.items():
        wanted = list(dict.fromkeys(normalize_email(e) for e in found if e and e.strip()))
        unlinked = [e for e in wanted if e not in known.linked]
        unchecked = [e for e in unlinked if e in known.unchecked]
        counts[rotation_id] = Linked(len(wanted) - len(unlinked), len(wanted), unlinked, unchecked)
    return counts


def pickers(connection: SlackConnection) -> tuple[list[dict], list[dict], str]:
    """The workspace's user groups and channels for the page's pickers, cached a few minutes per
    workspace: (groups, channels, a note when Slack could not list them)."""
    key = pickers_key(connection)
    found = cache.get(key)
    if found is None:
        bot = client_for(connection)
        try:
            groups = [
                {"id": g.get("id"), "label": f"@{g.get('handle')} ({g.get('name')})"} for g in bot.usergroups_list()
            ]
            channels = [
                {"id": c.get("id"), "label": f"#{c.get('name')}" + (" (private)" if c.get("is_private") else "")}
                for c in bot.conversations_list()
            ]
        except slack.SlackError as error:
            return [], [], f"Slack could not list user groups and channels: {error.message}"
        found = (groups, channels)
        cache.set(key, found, PICKERS_SECONDS)
    return found[0], found[1], ""


def target_labels(rotation: Rotation, targets: set[str]) -> dict[str, str]:
    """Direct messages as the person; groups and channels as the page's pickers name them (from the
    cache the rotation page's Slack section fills: Slack is not asked here)."""
    connection = get_connection(rotation.organization_id)
    found = cache.get(pickers_key(connection)) if connection is not None else None
    names = {o["id"]: o["label"] for o in (*found[0], *found[1])} if found else {}
    labels = registry.people(rotation, [t for t in targets if t.startswith("dm:")])
    return labels | {t: names[t.partition(":")[2]] for t in targets if t.partition(":")[2] in names}


def _with_current(options: list[dict], current: str) -> list[dict]:
    if current and all(o["id"] != current for o in options):
        return [{"id": current, "label": current}, *options]
    return options


def page_context(rotation: Rotation) -> dict:
    """rotations.hooks detail context: the rotation page's Slack section (only when Slack is connected)."""
    connection = get_connection(rotation.organization_id)
    if connection is None:
        return {"slack": None}
    config = rotation_slack_get(rotation) or RotationSlack(rotation=rotation)
    groups, channels, note = pickers(connection)
    return {
        "slack": {
            "connection": connection,
            "config": config,
            "groups": _with_current(groups, config.usergroup_id),
            "topic_channels": _with_current(channels, config.topic_channel_id),
            "message_channels": _with_current(channels, config.message_channel_id),
            "note": note,
            "members": linked_many([rotation], connection)[rotation.pk],
            "placeholders": [f"{{{p}}}" for p in PLACEHOLDERS],
            "defaults": DEFAULT_TEMPLATES,
            "group_form": NewUserGroupForm(),
            "previews": previews({field: getattr(config, field) for field in PREVIEW_INPUTS}),
        }
    }


PREVIEWED = (
    ("topic_template", "Topic"),
    ("on_duty_template", "On duty"),
    ("off_duty_template", "Off duty"),
    ("reminder_template", "Reminder (direct message)"),
)


# What a default text depends on: the topic is set in the topic channel, on/off duty posts go to the
# message channel, reminders are sent while reminder hours are set.
DEFAULT_WHEN = {
    "topic_template": "topic_channel_id",
    "on_duty_template": "message_channel_id",
    "off_duty_template": "message_channel_id",
    "reminder_template": "reminder_hours",
}
PREVIEW_INPUTS = (*(field for field, _ in PREVIEWED), *DEFAULT_WHEN.values())


def previews(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """What will be posted, in page order, as {field, label, text, error}: each non-empty template
    filled with sample values, or its default text (label "… (default)") while it is empty and its
    channel or reminder is on; a template that would not be saved says why instead (`error` true,
    `text` the reason). `settings`: PREVIEW_INPUTS (the templates, the channels, `reminder_hours`)."""
    found = []
    for field, name in PREVIEWED:
        template, label = settings.get(field), name
        if not isinstance(template, str) or not template.strip():
            if settings.get(DEFAULT_WHEN[field]) in (None, ""):
                continue
            template, label = DEFAULT_TEMPLATES[field], f"{name} (default)"
        try:
            text, error = render(clean(field, template), SAMPLE), False
        except SlackSettingsError as refused:
            text, error = refused.message, True
        found.append({"field": field, "label": label, "text": text, "error": error})
    return found


def match_members(rotation: Rotation) -> None:
    """Look the rotation's members up in Slack now (best effort), so the page's "N of M linked" is current."""
    connection = usable_connection(rotation)
    if connection is None:
        return
    try:
        slack_users_match(connection=connection, emails=rotation.members.values_list("email", flat=True))
    except slack.SlackError:
        pass  # recorded on the Slack card; the count stays what the cache knows
