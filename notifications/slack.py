"""A rotation's Slack: its settings (validated once, here), and the Slack channel of notifications.

At each handoff the planner asks for, per rotation with Slack settings and a Slack connection:
- `slack.usergroup` (stateful): the user group's members = whoever is on call now (+ permanent ids);
- `slack.topic` (stateful): the topic channel's topic, from the template, changed only while the
  channel still shows the topic Roster set last (a person's edit is left alone, and said so);
- `slack.on_duty` / `slack.off_duty` (messages, once per handoff) to the message channel.

Before a shift (through the upcoming core, `upcoming.py`): `slack.reminder`, the reminder template as
a direct message to the person (chat.postMessage with their Slack user id), `reminder_hours` before
their shift, once per shift; only for a person with an email Slack knows (matched when sent; someone
Slack was asked about and does not know is not planned).

The senders call Slack through `integrations.slack`'s client and turn its typed errors into
notifications' (429 → RateLimited, 5xx/network → Transient, the rest → Permanent with the fix).
Stateful senders apply the state current when they run (the rotation's latest handoff).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from accounts.actor import Actor
from accounts.audit import audit_record
from integrations.slack import client as slack
from integrations.slack.models import PROVIDER, SlackConnection, SlackUser
from integrations.slack.selectors import get_connection, normalize_email, slack_match_cached
from integrations.slack.services import client_for, connection_record_error, slack_users_match
from rotations.models import Handoff, Rotation
from rotations.selectors import timeline

from . import registry
from .forms import NewUserGroupForm
from .models import Notification, RotationSlack
from .registry import UpcomingShift

CHANNEL = "slack"
USERGROUP = registry.Kind("slack.usergroup", "Slack on-duty user group", stateful=True)
TOPIC = registry.Kind("slack.topic", "Slack channel topic", stateful=True)
ON_DUTY = registry.Kind("slack.on_duty", "Slack on-duty message")
OFF_DUTY = registry.Kind("slack.off_duty", "Slack off-duty message")
REMINDER = registry.Kind("slack.reminder", "Slack reminder before a shift (direct message)")
KINDS = (USERGROUP, TOPIC, ON_DUTY, OFF_DUTY, REMINDER)
DEFAULT_REMINDER = "Reminder: your {rotation} on-call shift starts {since} (until {until}). {schedule_url}"
DEFAULT_ON_DUTY = "{person} is on call for {rotation} until {until}."
DEFAULT_OFF_DUTY = "{person} is off duty for {rotation}."
# What is posted while a template is left empty: choosing a channel is enough to hear of handoffs.
DEFAULT_TEMPLATES = {
    "on_duty_template": DEFAULT_ON_DUTY,
    "off_duty_template": DEFAULT_OFF_DUTY,
    "reminder_template": DEFAULT_REMINDER,
}

PLACEHOLDERS = ("rotation", "person", "next", "since", "until", "schedule_url")
TOPIC_MAX = 250
SAMPLE = {
    "rotation": "Platform on-call",
    "person": "<@U0123456789>",
    "next": "<@U0987654321>",
    "since": "Mon 2 Mar 09:00",
    "until": "Mon 9 Mar 09:00",
    "schedule_url": "https://roster.example.com/rotations/12345/",
}
_PERSON = re.compile(r"\s*([^,<]*?)\s*<([^<>\s]+@[^<>\s]+)>|\s*([^,<>]+)")
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,40}$")


class SlackSettingsError(ValueError):
    """A setting refused (`code` "invalid_request"), or Slack refused to do it ("slack_refused") or
    could not answer ("slack_unavailable"); `field` is the setting it is about."""

    def __init__(self, field: str, message: str, *, code: str = "invalid_request"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


# --- settings ----------------------------------------------------------------------------------

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


def render(template: str, values: dict[str, str]) -> str:
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def template_for(config: RotationSlack, field: str) -> str:
    """The rotation's template, or the default text while it is left empty."""
    return getattr(config, field) or DEFAULT_TEMPLATES.get(field, "")


def validate_template(field: str, template: str) -> None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise SlackSettingsError(field, "Unbalanced { or }: write {{ or }} for a literal brace.") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise SlackSettingsError(field, f"Unknown placeholder {{{name}}}: use {allowed}.")


def _audit(rotation: Rotation, actor: Actor | None, action: str, summary: str, **detail: Any) -> None:
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


def _clean(field: str, value: Any) -> Any:
    if field in TEXT_FIELDS:
        value = "" if value is None else value
        if not isinstance(value, str):
            raise SlackSettingsError(field, "Must be text.")
        value = value.strip()
        if field in ID_FIELDS and value and not _SLACK_ID.match(value):
            raise SlackSettingsError(field, "Not a Slack id (like C0123ABCD or S0123ABCD).")
        if field in TEMPLATE_FIELDS:
            validate_template(field, value)
            if len(value) > (500 if field == "topic_template" else 2000):  # the model's max_length
                raise SlackSettingsError(field, "Too long.")
        if field == "topic_template" and len(render(value, SAMPLE)) > TOPIC_MAX:
            raise SlackSettingsError(
                field, f"The topic would be longer than Slack's {TOPIC_MAX} characters: shorten the template."
            )
        return value
    if field == "reminder_hours":
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 168):
            raise SlackSettingsError(field, "A whole number of hours from 1 to 168, or null.")
        return value
    if field == "permanent_member_ids":
        value = [] if value is None else value
        if not isinstance(value, list) or not all(isinstance(v, str) and _SLACK_ID.match(v) for v in value):
            raise SlackSettingsError(field, "A list of Slack user ids (like U0123ABCD).")
        return list(dict.fromkeys(value))[:50]
    if field == "gap_behaviour":
        value = value or RotationSlack.Gap.KEEP
        if value not in RotationSlack.Gap.values:
            raise SlackSettingsError(field, "Either “keep” or “disable”.")
        return value
    raise SlackSettingsError(field, "Not a Slack setting.")


def rotation_slack_update(*, rotation: Rotation, actor: Actor | None, changes: dict[str, Any]) -> RotationSlack:
    """Change some of a rotation's Slack settings (model field names; None or "" turns a part off).
    Raises SlackSettingsError naming the field. Audited (provider "slack")."""
    current = rotation_slack_get(rotation) or RotationSlack(rotation=rotation)
    changed: list[str] = []
    for field, given in changes.items():
        value = _clean(field, given)
        if getattr(current, field) != value:
            setattr(current, field, value)
            changed.append(field)
            if field == "topic_channel_id":
                current.last_topic, current.topic_note = "", ""
            if field == "usergroup_id":
                current.group_note, current.group_disabled = "", False
    if changed:
        current.save()
        _audit(
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
            NEW_GROUP_HANDLE,
            "A @handle of up to 80 lower-case letters, digits, dots, dashes or underscores (like ops-oncall).",
        )
    if len(name) > 255:
        raise SlackSettingsError(NEW_GROUP_NAME, "At most 255 characters.")
    connection = _usable_connection(rotation)
    if connection is None:
        raise SlackSettingsError(
            NEW_GROUP_HANDLE, "Connect Slack first (or Reconnect Slack) on Settings → Integrations."
        )
    bot = client_for(connection)
    try:
        group = bot.usergroups_create(name=name, handle=handle)
    except slack.SlackError as error:
        if isinstance(error, slack.NeedsReauth):
            connection_record_error(connection, error)
        if not error.permanent:
            raise SlackSettingsError(
                NEW_GROUP_HANDLE,
                f"Slack could not create @{handle} just now ({error.code}): try again in a minute.",
                code="slack_unavailable",
            ) from None
        raise SlackSettingsError(
            _CREATE_FIELD.get(error.code, NEW_GROUP_HANDLE), error.message, code="slack_refused"
        ) from None
    group_id = str(group.get("id") or "")
    if not _SLACK_ID.match(group_id):
        raise SlackSettingsError(NEW_GROUP_HANDLE, "Slack did not say which group it created.", code="slack_refused")
    _audit(
        rotation,
        actor,
        "usergroup_create",
        f"Created the Slack user group @{handle} for rotation “{rotation.name}”",
        usergroup=group_id,
    )
    cache.delete(_pickers_key(connection))  # the picker lists the new group
    config = rotation_slack_update(rotation=rotation, actor=actor, changes={"usergroup_id": group_id})
    _fill_new_group(rotation, config, connection)
    return config


def _fill_new_group(rotation: Rotation, config: RotationSlack, connection: SlackConnection) -> None:
    emails = [e for _, e in people(_on_call_label(rotation, dt.datetime.now(dt.UTC))) if e]
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


# --- planner -----------------------------------------------------------------------------------


def _usable_connection(rotation: Rotation) -> SlackConnection | None:
    connection = get_connection(rotation.organization_id)
    if connection is None or connection.status != SlackConnection.Status.ACTIVE:
        return None
    return connection


def plan(handoff: Handoff) -> Iterator[registry.Planned]:
    config = rotation_slack_get(handoff.rotation)
    if config is None or _usable_connection(handoff.rotation) is None:
        return
    if config.usergroup_id:
        yield registry.Planned(CHANNEL, f"usergroup:{config.usergroup_id}", USERGROUP.key)
    if config.topic_channel_id and config.topic_template:
        yield registry.Planned(CHANNEL, f"topic:{config.topic_channel_id}", TOPIC.key)
    if config.message_channel_id:  # an empty template posts the default text
        if handoff.to_label:
            yield registry.Planned(CHANNEL, f"channel:{config.message_channel_id}", ON_DUTY.key)
        if handoff.from_label:
            yield registry.Planned(CHANNEL, f"channel:{config.message_channel_id}", OFF_DUTY.key)


# --- the reminder before a shift (registry.register_upcoming_planner) ---------------------------


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
        connection = _usable_connection(rotation)
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


# --- senders -----------------------------------------------------------------------------------


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


@contextmanager
def _as_send_errors(connection: SlackConnection) -> Iterator[None]:
    try:
        yield
    except slack.RateLimited as error:
        raise registry.RateLimited(error.retry_after or 30.0, error.message, queued=error.code == "paced") from None
    except slack.Unavailable as error:
        raise registry.Transient(error.message) from None
    except slack.SlackError as error:  # NeedsReauth, Permanent
        if isinstance(error, slack.NeedsReauth):
            connection_record_error(connection, error)
        raise registry.Permanent(error.message) from None


def _context(row: Notification) -> tuple[RotationSlack, SlackConnection]:
    config = rotation_slack_get(row.rotation)
    connection = _usable_connection(row.rotation)
    if connection is None:
        raise registry.Permanent("Slack is not connected (or needs Reconnect Slack) on Settings → Integrations.")
    if config is None:
        raise registry.Permanent("This rotation no longer has Slack settings.")
    return config, connection


def _mentions(connection: SlackConnection, label: str) -> list[str]:
    """Each person as a Slack mention when matched by email, else by name."""
    found = people(label)
    match = slack_users_match(connection=connection, emails=[e for _, e in found if e])
    return [f"<@{match.linked[e]}>" if e in match.linked else name for name, e in found]


def _when(rotation: Rotation, at: dt.datetime | None) -> str:
    return at.astimezone(rotation.tz).strftime("%a %-d %b %H:%M") if at else ""


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


def values_for(handoff: Handoff, connection: SlackConnection) -> dict[str, str]:
    rotation = handoff.rotation
    try:
        until, next_label = _next_turn(handoff)
    except Exception:  # a rotation's timeline must not stop its message
        until, next_label = None, ""
    return {
        "rotation": rotation.name,
        "person": ", ".join(_mentions(connection, handoff.to_label)) or "nobody",
        "next": ", ".join(_mentions(connection, next_label)) or "nobody",
        "since": _when(rotation, handoff.at),
        "until": _when(rotation, until),
        "schedule_url": settings.PUBLIC_BASE_URL + reverse("rotations:detail", args=[rotation.pk]),
    }


def _latest(rotation: Rotation) -> Handoff | None:
    return Handoff.objects.filter(rotation=rotation).select_related("rotation").order_by("-at").first()


def _send_usergroup(row: Notification, config: RotationSlack, connection: SlackConnection) -> None:
    latest = _latest(row.rotation)
    bot = client_for(connection)
    with _as_send_errors(connection):
        emails = [e for _, e in people(latest.to_label if latest else "") if e]
        ids = list(
            dict.fromkeys(
                [*slack_users_match(connection=connection, emails=emails).user_ids(), *config.permanent_member_ids]
            )
        )
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
    latest = _latest(row.rotation)
    if latest is None:
        return
    channel = config.topic_channel_id
    bot = client_for(connection)
    with _as_send_errors(connection):
        bot.pace("conversations.setTopic", channel=channel)  # its turn first, then read the channel
        topic = render(config.topic_template, values_for(latest, connection))[:TOPIC_MAX]
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
            raise registry.Permanent(note)
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
    rotation = row.rotation
    email = row.target.split(":", 1)[1]
    start, end = dt.datetime.fromisoformat(shift["start"]), dt.datetime.fromisoformat(shift["end"])
    with _as_send_errors(connection):
        user_id = slack_users_match(connection=connection, emails=[email]).linked.get(email)
        if not user_id:
            raise registry.Permanent(
                f"No Slack user has the email {email}, so {shift['person']['name']} gets no reminder: "
                "use the same email in Slack and in Roster."
            )
        after = [s.who.label for s in timeline(rotation, since=end, until=end + dt.timedelta(seconds=1)) if s.who]
        values = {
            "rotation": rotation.name,
            "person": f"<@{user_id}>",
            "next": ", ".join(_mentions(connection, ", ".join(after))) or "nobody",
            "since": _when(rotation, start),
            "until": _when(rotation, end),
            "schedule_url": settings.PUBLIC_BASE_URL + reverse("rotations:detail", args=[rotation.pk]),
        }
        text = render(template_for(config, "reminder_template"), values)
        client_for(connection).chat_post_message(channel=user_id, text=text)


def send(row: Notification) -> None:
    config, connection = _context(row)
    senders = {
        USERGROUP.key: _send_usergroup,
        TOPIC.key: _send_topic,
        ON_DUTY.key: _send_message,
        OFF_DUTY.key: _send_message,
        REMINDER.key: _send_reminder,
    }
    sender = senders.get(row.kind)
    if sender is None:
        raise registry.Permanent(f"Roster does not know how to send “{row.kind}” to Slack.")
    sender(row, config, connection)


def install() -> None:
    for kind in KINDS:
        registry.register_kind(kind)
    registry.register_planner(plan)
    registry.register_upcoming_planner(plan_reminder, leads=reminder_leads)
    registry.register_sender(CHANNEL, send)


def _on_call_label(rotation: Rotation, now: dt.datetime) -> str:
    """Who is on call now, as a handoff label ("Ada <ada@x>, Bo <bo@x>")."""
    on_call = timeline(rotation, since=now, until=now + dt.timedelta(seconds=1))
    return ", ".join(dict.fromkeys(s.who.label for s in on_call if s.who is not None))


def send_test_message(*, rotation: Rotation, actor: Actor | None) -> str:
    """Post the on-duty template, filled with who is on call now, to the message channel. Returns
    what was posted; raises registry.SendError with the reason in plain words."""
    config = rotation_slack_get(rotation)
    connection = _usable_connection(rotation)
    if connection is None or config is None or not config.message_channel_id:
        raise registry.Permanent("Pick a message channel first (and connect Slack).")
    now = dt.datetime.now(dt.UTC)
    label = _on_call_label(rotation, now)
    recorded = _latest(rotation)
    latest = recorded if recorded and recorded.to_label == label else Handoff(rotation=rotation, at=now, to_label=label)
    text = "(Test) " + render(template_for(config, "on_duty_template"), values_for(latest, connection))
    with _as_send_errors(connection):
        client_for(connection).chat_post_message(channel=config.message_channel_id, text=text)
    _audit(
        rotation,
        actor,
        "test_message",
        f"Sent a test message for rotation “{rotation.name}” to {config.message_channel_id}",
    )
    return text


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


def linked(rotation: Rotation, connection: SlackConnection) -> Linked:
    """How many of the rotation's members are linked to Slack (from the cache)."""
    return linked_many([rotation], connection)[rotation.pk]


def linked_many(rotations: Iterable[Rotation], connection: SlackConnection) -> dict[int, Linked]:
    """`linked` for many rotations in one read of the cache (members prefetched or not)."""
    emails = {r.pk: [m.email for m in r.members.all()] for r in rotations}
    known = slack_match_cached(team_id=connection.team_id, emails=[e for found in emails.values() for e in found])
    counts = {}
    for rotation_id, found in emails.items():
        wanted = list(dict.fromkeys(normalize_email(e) for e in found if e and e.strip()))
        unlinked = [e for e in wanted if e not in known.linked]
        unchecked = [e for e in unlinked if e in known.unchecked]
        counts[rotation_id] = Linked(len(wanted) - len(unlinked), len(wanted), unlinked, unchecked)
    return counts


def rotation_slack_many(rotations: Iterable[Rotation]) -> dict[int, RotationSlack]:
    """Each rotation's Slack settings (unsaved defaults when it has none), in one query."""
    rotations = list(rotations)
    saved = {c.rotation_id: c for c in RotationSlack.objects.filter(rotation__in=rotations)}
    return {r.pk: saved.get(r.pk) or RotationSlack(rotation=r) for r in rotations}


# --- the rotation page ---------------------------------------------------------------------------

PICKERS_SECONDS = 300


def _pickers_key(connection: SlackConnection) -> str:
    server = hashlib.sha256(settings.SLACK_API_URL.encode()).hexdigest()[:12]  # another Slack, other lists
    return f"slack-pickers:{server}:{connection.team_id}:{connection.pk}"


def pickers(connection: SlackConnection) -> tuple[list[dict], list[dict], str]:
    """The workspace's user groups and channels for the page's pickers, cached a few minutes per
    workspace: (groups, channels, a note when Slack could not list them)."""
    key = _pickers_key(connection)
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
            "members": linked(rotation, connection),
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


# What a message's default text depends on: on/off duty posts go to the message channel, reminders
# are sent while reminder hours are set.
DEFAULT_WHEN = {
    "on_duty_template": "message_channel_id",
    "off_duty_template": "message_channel_id",
    "reminder_template": "reminder_hours",
}
PREVIEW_INPUTS = (*(field for field, _ in PREVIEWED), "message_channel_id", "reminder_hours")


def previews(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """What will be posted, in page order, as {field, label, text, error}: each non-empty template
    filled with sample values, or its default text (label "… (default)") while it is empty and its
    channel or reminder is on; a template that would not be saved says why instead (`error` true,
    `text` the reason). `settings`: the templates and `message_channel_id`, `reminder_hours`."""
    found = []
    for field, name in PREVIEWED:
        template, label = settings.get(field), name
        if not isinstance(template, str) or not template.strip():
            if field not in DEFAULT_TEMPLATES or settings.get(DEFAULT_WHEN[field]) in (None, ""):
                continue
            template, label = DEFAULT_TEMPLATES[field], f"{name} (default)"
        try:
            text, error = render(_clean(field, template), SAMPLE), False
        except SlackSettingsError as refused:
            text, error = refused.message, True
        found.append({"field": field, "label": label, "text": text, "error": error})
    return found


def match_members(rotation: Rotation) -> None:
    """Look the rotation's members up in Slack now (best effort), so the page's "N of M linked" is current."""
    connection = _usable_connection(rotation)
    if connection is None:
        return
    try:
        slack_users_match(connection=connection, emails=rotation.members.values_list("email", flat=True))
    except slack.SlackError:
        pass  # recorded on the Slack card; the count stays what the cache knows
