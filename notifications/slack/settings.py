"""A rotation's Slack settings: validated once, here (`rotation_slack_update`), and the @handle
user group Roster creates for it (`rotation_slack_create_usergroup`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.actor import Actor
from accounts.audit import audit_record
from accounts.numbers import whole
from accounts.refusal import Refusal
from accounts.text import line_break_problem
from integrations.slack import client as slack
from integrations.slack.models import PROVIDER, SlackConnection
from integrations.slack.selectors import get_connection
from integrations.slack.services import client_for, connection_record_error, slack_users_match
from rotations.models import Rotation
from rotations.selectors import timeline

from .. import registry
from ..models import RotationSlack

PLACEHOLDERS = ("rotation", "person", "next", "since", "until", "schedule_url")
TOPIC_MAX = 250
SAMPLE = {
    "rotation": "Platform on-call",
    "person": "<@U0123456789>",
    "next": "<@U0987654321>",
    "since": "Mon 2 Mar 09:00 CET",
    "until": "Mon 9 Mar 09:00 CET",
    "schedule_url": "https://roster.example.com/rotations/12345/",
}


_PERSON = re.compile(r"\s*([^,<]*?)\s*<([^<>\s]+@[^<>\s]+)>|\s*([^,<>]+)")
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,40}$")


class SlackSettingsError(Refusal):
    """A setting refused (`code` "invalid_request"), or Slack refused to do it ("slack_refused") or
    could not answer ("slack_unavailable"); `field` is the setting it is about."""


# In the page's order (the order a change's audit names them).
TEXT_FIELDS = (
    "usergroup_id",
    "topic_channel_id",
    "topic_template",
    "message_channel_id",
    "on_duty_template",
    "off_duty_template",
    "reminder_template",
)
TEMPLATE_FIELDS = ("topic_template", "on_duty_template", "off_duty_template", "reminder_template")
ID_FIELDS = ("usergroup_id", "topic_channel_id", "message_channel_id")
# What is posted while a template is left empty: choosing a channel is enough to hear of handoffs.
DEFAULT_TEMPLATES = {
    "topic_template": "On call for {rotation}: {person} until {until}",
    "on_duty_template": "{person} is on call for {rotation} until {until}.",
    "off_duty_template": "{person} is off duty for {rotation}.",
    "reminder_template": "Reminder: your {rotation} on-call shift starts {since} (until {until}). {schedule_url}",
}


def render(template: str, values: dict[str, str]) -> str:
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def template_for(config: RotationSlack, field: str) -> str:
    """The rotation's template, or the default text while it is left empty."""
    return getattr(config, field) or DEFAULT_TEMPLATES.get(field, "")


def validate_template(field: str, template: str) -> None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise SlackSettingsError("Unbalanced { or }: write {{ or }} for a literal brace.", field=field) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise SlackSettingsError(f"Unknown placeholder {{{name}}}: use {allowed}.", field=field)


def audit(rotation: Rotation, actor: Actor | None, action: str, summary: str, **detail: Any) -> None:
    audit_record(
        organization=rotation.organization,
        provider=PROVIDER,
        action=action,
        actor=actor,
        summary=summary,
        detail={"rotation": rotation.pk, **detail},
    )


def rotation_slack_get(rotation: Rotation) -> RotationSlack | None:
    return RotationSlack.objects.filter(rotation=rotation).first()


def clean(field: str, value: Any) -> Any:
    if field in TEXT_FIELDS:
        value = "" if value is None else value
        if not isinstance(value, str):
            raise SlackSettingsError("Must be text.", field=field)
        if "\x00" in value:  # PostgreSQL cannot store it (the API's parser refuses it before)
            raise SlackSettingsError("Text may not contain NUL characters.", field=field)
        value = value.strip()
        if field in ID_FIELDS and value and not _SLACK_ID.match(value):
            raise SlackSettingsError("Not a Slack id (like C0123ABCD or S0123ABCD).", field=field)
        if field in TEMPLATE_FIELDS:
            validate_template(field, value)
            if len(value) > (500 if field == "topic_template" else 2000):  # the model's max_length
                raise SlackSettingsError("Too long.", field=field)
        if field == "topic_template" and len(render(value, SAMPLE)) > TOPIC_MAX:
            raise SlackSettingsError(
                f"The topic would be longer than Slack's {TOPIC_MAX} characters: shorten the template.", field=field
            )
        return value
    if field == "reminder_hours":
        value = whole(value)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 168):
            raise SlackSettingsError("A whole number of hours from 1 to 168.", field=field)
        return value
    if field == "permanent_member_ids":
        value = [] if value is None else value
        if not isinstance(value, list) or not all(isinstance(v, str) and _SLACK_ID.match(v) for v in value):
            raise SlackSettingsError("A list of Slack user ids (like U0123ABCD).", field=field)
        if len(value) > 50:
            raise SlackSettingsError(f"At most 50 permanent members ({len(value)} given).", field=field)
        return list(dict.fromkeys(value))
    if field == "gap_behaviour":
        value = value or RotationSlack.Gap.KEEP
        if value not in RotationSlack.Gap.values:
            raise SlackSettingsError("Either “keep” or “disable”.", field=field)
        return value
    raise SlackSettingsError("Not a Slack setting.", field=field)


def rotation_slack_update(*, rotation: Rotation, actor: Actor | None, changes: dict[str, Any]) -> RotationSlack:
    """Change some of a rotation's Slack settings (model field names; None or "" turns a part off).
    Raises SlackSettingsError naming the field. Audited (provider "slack")."""
    current = rotation_slack_get(rotation) or RotationSlack(rotation=rotation)
    changed: list[str] = []
    for field, given in changes.items():
        value = clean(field, given)
        if getattr(current, field) != value:
            setattr(current, field, value)
            changed.append(field)
            if field == "topic_channel_id":
                current.last_topic, current.topic_note = "", ""
            if field == "usergroup_id":
                current.group_note, current.group_disabled = "", False
    if changed:
        current.save()
        audit(
            rotation,
            actor,
            "rotation_settings",
            f"Changed the Slack settings of rotation “{rotation.name}”: {', '.join(changed)}",
            fields=changed,
        )
    return current


# "Create @handle": a new on-duty user group, made in Slack and bound to the rotation.
NEW_GROUP_HANDLE, NEW_GROUP_NAME = "new_group_handle", "new_group_name"


_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_CREATE_FIELD = {"name_already_exists": NEW_GROUP_NAME}  # Slack's other refusals are about the handle


def rotation_slack_create_usergroup(
    *, rotation: Rotation, actor: Actor | None, handle: str, name: str = ""
) -> RotationSlack:
    """Create the user group `@handle` in Slack (usergroups.create), make it the rotation's on-duty
    group and fill it with whoever is on call now (best effort: the next handoff does it otherwise).
    `name` defaults to "<rotation> on call". Raises SlackSettingsError on NEW_GROUP_HANDLE or
    NEW_GROUP_NAME with Slack's refusal in plain words. Audited."""
    handle = (handle or "").strip().removeprefix("@").lower() if isinstance(handle, str) else ""
    name = (name.strip() if isinstance(name, str) else "") or f"{rotation.name} on call"[:255]
    if not _HANDLE.match(handle):
        raise SlackSettingsError(
            "A @handle of up to 80 lower-case letters, digits, dots, dashes or underscores (like ops-oncall).",
            field=NEW_GROUP_HANDLE,
        )
    if len(name) > 255:
        raise SlackSettingsError("At most 255 characters.", field=NEW_GROUP_NAME)
    if problem := line_break_problem(name, what="A user group's name"):
        raise SlackSettingsError(problem, field=NEW_GROUP_NAME)
    connection = usable_connection(rotation)
    if connection is None:
        raise SlackSettingsError(
            "Connect Slack first (or Reconnect Slack) on Settings → Integrations.", field=NEW_GROUP_HANDLE
        )
    bot = client_for(connection)
    try:
        group = bot.usergroups_create(name=name, handle=handle)
    except slack.SlackError as error:
        if isinstance(error, slack.NeedsReauth):
            connection_record_error(connection, error)
        if not error.permanent:
            raise SlackSettingsError(
                f"Slack could not create @{handle} just now ({error.code}): try again in a minute.",
                field=NEW_GROUP_HANDLE,
                code="slack_unavailable",
            ) from None
        raise SlackSettingsError(
            error.message, field=_CREATE_FIELD.get(error.code, NEW_GROUP_HANDLE), code="slack_refused"
        ) from None
    group_id = str(group.get("id") or "")
    if not _SLACK_ID.match(group_id):
        raise SlackSettingsError(
            "Slack did not say which group it created.", field=NEW_GROUP_HANDLE, code="slack_refused"
        )
    audit(
        rotation,
        actor,
        "usergroup_create",
        f"Created the Slack user group @{handle} for rotation “{rotation.name}”",
        usergroup=group_id,
    )
    cache.delete(pickers_key(connection))  # the picker lists the new group
    config = rotation_slack_update(rotation=rotation, actor=actor, changes={"usergroup_id": group_id})
    _fill_new_group(rotation, config, connection)
    return config


def _fill_new_group(rotation: Rotation, config: RotationSlack, connection: SlackConnection) -> None:
    emails = [e for _, e in people(on_call_label(rotation, dt.datetime.now(dt.UTC))) if e]
    try:
        ids = [*slack_users_match(connection=connection, emails=emails).user_ids(), *config.permanent_member_ids]
        if ids:
            client_for(connection).usergroups_users_update(
                usergroup=config.usergroup_id, users=list(dict.fromkeys(ids))
            )
            return
        note = "Nobody on call is linked to Slack yet: Roster fills the group at the next handoff."
    except slack.SlackError as error:
        note = f"Roster created the group but could not fill it yet: {error.message}"
    config.group_note = note[:500]
    config.save(update_fields=["group_note", "updated_at"])


def direct_message_user(connection: SlackConnection, email: str, nobody: str) -> str:
    """The Slack user id to message `email` directly, or a permanent SendError (`nobody` says who gets nothing)."""
    user_id = slack_users_match(connection=connection, emails=[email]).linked.get(email)
    if not user_id:
        raise registry.SendError(
            f"No Slack user has the email {email}, so {nobody}: use the same email in Slack and in Roster.",
            permanent=True,
        )
    return user_id


def usable_connection(rotation: Rotation) -> SlackConnection | None:
    connection = get_connection(rotation.organization_id)
    if connection is None or connection.status != SlackConnection.Status.ACTIVE:
        return None
    return connection


def people(label: str) -> list[tuple[str, str]]:
    """(name, email) of each person in a handoff label ("Ana <ana@x>, Bo"); email "" when none."""
    found = []
    for match in _PERSON.finditer(label or ""):
        name, email, bare = match.group(1), match.group(2), match.group(3)
        if email:
            found.append((name or email, email.lower()))
        elif bare and bare.strip():
            found.append((bare.strip(), ""))
    return found


def on_call_label(rotation: Rotation, now: dt.datetime) -> str:
    """Who is on call now, as a handoff label ("Ada <ada@x>, Bo <bo@x>")."""
    on_call = timeline(rotation, since=now, until=now + dt.timedelta(seconds=1))
    return ", ".join(dict.fromkeys(s.who.label for s in on_call if s.who is not None))


def rotation_slack_many(rotations: Iterable[Rotation]) -> dict[int, RotationSlack]:
    """Each rotation's Slack settings (unsaved defaults when it has none), in one query."""
    rotations = list(rotations)
    saved = {c.rotation_id: c for c in RotationSlack.objects.filter(rotation__in=rotations)}
    return {r.pk: saved.get(r.pk) or RotationSlack(rotation=r) for r in rotations}


PICKERS_SECONDS = 300


def pickers_key(connection: SlackConnection) -> str:
    server = hashlib.sha256(settings.SLACK_API_URL.encode()).hexdigest()[:12]  # another Slack, other lists
    return f"slack-pickers:{server}:{connection.team_id}:{connection.pk}"
