"""JSON API: GET /api/rotations/<id>/notifications (members; a `read` token); a person's own email
reminders (GET/PATCH /api/rotations/<id>/reminders/me) and the rotation's defaults
(GET/PATCH /api/rotations/<id>/reminders/defaults, PATCH by admins); the rotation JSON's `slack` key
(rotations.hooks), and the Slack section's test message and template preview (POST
/api/rotations/<id>/slack/test-message and /slack/preview, admins).

Every rule about a reminder value is the service's (notifications.email, its messages name the
field); the schemas below describe them and refuse unknown keys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.shortcuts import get_object_or_404
from pydantic import Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from accounts.actor import Actor
from accounts.api import (
    NO_PERSON,
    ApiError,
    DateTime,
    Error,
    Id,
    Schema,
    Text,
    acting_person,
    api_actor,
    auth,
    whole_number,
)
from accounts.api import router as api_router
from accounts.text import one_line_pattern
from integrations.slack.selectors import get_connection
from rotations import hooks
from rotations.models import Rotation

from . import email, registry, selectors
from .models import Notification, RotationSlack
from .slack import page as slack_page
from .slack import sending as slack_sending
from .slack import settings as slack_settings

router = api_router(
    "Notifications",
    "What Roster told people about each handoff (Slack, email, outgoing webhooks) and the result. Members read. "
    "Email reminders: each person's own (before a shift, when a shift moves) and the rotation's defaults for "
    "people who made no choice (admins change them).",
)

API_LIMIT = 50
HOURS_SCHEMA = {
    "anyOf": [{"type": "integer", "minimum": 1, "maximum": email.MAX_HOURS}, {"type": "null"}],
    "description": "null: no reminder.",
}
Hours = Annotated[Any, WithJsonSchema(HOURS_SCHEMA)]
Flag = Annotated[Any, WithJsonSchema({"type": "boolean"})]


class NotificationOut(Schema):
    id: int
    channel: str = Field(description="Where it goes: `slack`, `email`, `webhook`.")
    target: str = Field(description="The channel's own id of the recipient.")
    kind: str
    kind_label: str
    handoff_id: int | None
    cover_request_id: int | None = Field(description="The cover request whose event it tells of, if any.")
    source_at: DateTime = Field(description="The handoff, shift or cover request event it is about.")
    status: Literal[tuple(Notification.Status.values)]  # type: ignore[valid-type]
    attempts: Annotated[int, Field(ge=0)]
    next_attempt_at: DateTime | None
    last_error: str | None
    sent_at: DateTime | None
    created_at: DateTime


class NotificationList(Schema):
    notifications: list[NotificationOut]


class ReminderDefaults(Schema):
    reminder_hours: Annotated[int | None, WithJsonSchema(HOURS_SCHEMA)]
    shift_moved: bool


class MyReminders(Schema):
    email: str
    reminder_hours: Annotated[int | None, WithJsonSchema(HOURS_SCHEMA)]
    shift_moved: bool
    follows_default: bool
    defaults: ReminderDefaults


class MyRemindersUpdate(Schema):
    reminder_hours: Hours = None
    shift_moved: Flag = None
    follow_default: Annotated[Any, WithJsonSchema({"type": "boolean", "description": "true: drop my own choice."})] = (
        None
    )


class ReminderDefaultsUpdate(Schema):
    reminder_hours: Hours = None
    shift_moved: Flag = None


@router.get(
    "/rotations/{int:rotation_id}/notifications",
    response=NotificationList,
    auth=auth("read"),
    operation_id="listRotationNotifications",
    summary="A rotation's recent notifications",
)
def rotation_notifications(request, rotation_id: Id):
    """The last 50, newest first: each with its channel, target, status (`pending`, `sending`, `sent`,
    `failed`, `skipped`), attempts, next try and, when it failed or was skipped, why in plain words."""
    rows = selectors.recent_notifications(_rotation(request, rotation_id), limit=API_LIMIT)
    return {"notifications": [notification_json(n) for n in rows]}


# --- email reminders -----------------------------------------------------------------------------


def _rotation(request, rotation_id: int) -> Rotation:
    return get_object_or_404(Rotation, organization=request.organization, pk=rotation_id)


def _refused(error: email.ReminderError) -> ApiError:
    field = to_camel(error.field) if error.field else "request"  # the schemas' aliases (accounts.api.Schema)
    return ApiError(400, "invalid_request", f"{field}: {error.message}", extra={"errors": {field: [error.message]}})


@router.get(
    "/rotations/{int:rotation_id}/reminders/me",
    response={200: MyReminders, 409: Error},
    auth=auth("read"),
    operation_id="getMyReminders",
    summary="My email reminders for a rotation",
    description="For the signed-in person (or the person who created the API token), by their account email: a "
    "reminder `reminderHours` before each of their shifts, and an email when a shift of theirs moves. "
    "`followsDefault`: no choice of their own, the rotation's defaults apply." + NO_PERSON,
)
def my_reminders(request, rotation_id: Id):
    return email.mine(_rotation(request, rotation_id), acting_person(request).email)


@router.patch(
    "/rotations/{int:rotation_id}/reminders/me",
    response={200: MyReminders, 409: Error},
    auth=auth("write", admin=False),
    operation_id="updateMyReminders",
    summary="Change my email reminders for a rotation",
    description="Any subset; `followDefault: true` drops the person's own choice (the defaults apply again)."
    + NO_PERSON,
)
def my_reminders_update(request, rotation_id: Id, payload: MyRemindersUpdate):
    rotation = _rotation(request, rotation_id)
    address = acting_person(request).email
    changes = payload.model_dump(exclude_unset=True)
    with ApiError.instead_of(email.ReminderError, _refused):
        return email.reminder_set(
            rotation=rotation, email=address, actor=api_actor(request), changes=changes, via="API"
        )


@router.get(
    "/rotations/{int:rotation_id}/reminders/defaults",
    response=ReminderDefaults,
    auth=auth("read"),
    operation_id="getReminderDefaults",
    summary="A rotation's email reminder defaults",
)
def reminder_defaults(request, rotation_id: Id):
    """What people who made no choice of their own get (both off unless an admin turns them on)."""
    return email.defaults_get(_rotation(request, rotation_id))


@router.patch(
    "/rotations/{int:rotation_id}/reminders/defaults",
    response=ReminderDefaults,
    auth=auth(),
    operation_id="updateReminderDefaults",
    summary="Change a rotation's email reminder defaults (admins)",
)
def reminder_defaults_update(request, rotation_id: Id, payload: ReminderDefaultsUpdate):
    rotation = _rotation(request, rotation_id)
    with ApiError.instead_of(email.ReminderError, _refused):
        return email.defaults_set(
            rotation=rotation, actor=api_actor(request), changes=payload.model_dump(exclude_unset=True)
        )


# --- the rotation JSON's "slack" key (registered with rotations.hooks.register_json_field) -------

# JSON key → setting; "messageTemplates" holds three of them.
SLACK_KEYS = {
    "userGroupId": "usergroup_id",
    "topicChannelId": "topic_channel_id",
    "topicTemplate": "topic_template",
    "messageChannelId": "message_channel_id",
    "reminderHours": "reminder_hours",
    "permanentMemberIds": "permanent_member_ids",
    "gapBehaviour": "gap_behaviour",
}
TEMPLATE_KEYS = {"onDuty": "on_duty_template", "offDuty": "off_duty_template", "reminder": "reminder_template"}
READ_ONLY = ("linked", "total", "unlinked")
CREATE_KEY = "createUserGroup"  # write-only: {"handle", "name"?} makes a new group in Slack and binds it
JSON_NAMES = (
    {v: f"slack.{k}" for k, v in SLACK_KEYS.items()}
    | {v: f"slack.messageTemplates.{k}" for k, v in TEMPLATE_KEYS.items()}
    | {
        slack_settings.NEW_GROUP_HANDLE: f"slack.{CREATE_KEY}.handle",
        slack_settings.NEW_GROUP_NAME: f"slack.{CREATE_KEY}.name",
    }
)
STATUS = {"slack_refused": 409, "slack_unavailable": 503}


def slack_json(rotation: Rotation) -> dict | None:
    """The rotation's Slack settings, every key present (null when unset); null when Slack is not connected."""
    return slack_json_many([rotation])[rotation.pk]


def slack_json_many(rotations: list[Rotation]) -> dict[int, dict | None]:
    """`slack_json` of many rotations of one organization in a constant number of queries."""
    if not rotations:
        return {}
    connection = get_connection(rotations[0].organization_id)
    if connection is None:
        return {r.pk: None for r in rotations}
    configs = slack_settings.rotation_slack_many(rotations)
    counts = slack_page.linked_many(rotations, connection)
    return {r.pk: _slack_object(configs[r.pk], counts[r.pk]) for r in rotations}


def _slack_object(config: RotationSlack, members: slack_page.Linked) -> dict:
    return {
        **{key: getattr(config, field) or None for key, field in SLACK_KEYS.items()},
        "permanentMemberIds": list(config.permanent_member_ids),
        "gapBehaviour": config.gap_behaviour,
        "messageTemplates": {key: getattr(config, field) or None for key, field in TEMPLATE_KEYS.items()},
        "linked": members.linked,
        "total": members.total,
        "unlinked": members.unlinked,
    }


def _refuse(message: str, field: str = "slack") -> hooks.JsonFieldError:
    return hooks.JsonFieldError(message, field=field)


def slack_patch(rotation: Rotation, value: object, actor: Actor | None) -> None:
    """PATCH `slack`: any subset of its keys; null turns a part off (`"slack": null` turns all off)."""
    if get_connection(rotation.organization_id) is None:
        raise hooks.JsonFieldError(
            "Connect Slack first (Settings → Integrations).", field="slack", code="not_connected", status=409
        )
    if value is None:
        value = {key: None for key in SLACK_KEYS} | {"messageTemplates": None}
    if not isinstance(value, dict):
        raise _refuse("slack must be an object (or null).")
    changes: dict = {}
    create = value.get(CREATE_KEY)
    if create is not None and (
        not isinstance(create, dict) or not set(create) <= {"handle", "name"} or "userGroupId" in value
    ):
        raise _refuse(
            f"slack.{CREATE_KEY} must be {{handle, name?}}, without slack.userGroupId.", f"slack.{CREATE_KEY}"
        )
    for key, given in value.items():
        if key in SLACK_KEYS:
            changes[SLACK_KEYS[key]] = given
        elif key == "messageTemplates":
            templates = {k: None for k in TEMPLATE_KEYS} if given is None else given
            if not isinstance(templates, dict) or not set(templates) <= set(TEMPLATE_KEYS):
                raise _refuse(
                    "slack.messageTemplates must be {onDuty, offDuty, reminder} (or null).", "slack.messageTemplates"
                )
            changes |= {TEMPLATE_KEYS[k]: v for k, v in templates.items()}
        elif key not in (*READ_ONLY, CREATE_KEY):
            raise _refuse(f"slack has no key “{key[:40]}”.", f"slack.{key[:40]}")
    try:
        slack_settings.rotation_slack_update(rotation=rotation, actor=actor, changes=changes)
        if create is not None:  # after the other settings passed: a refused PATCH creates nothing in Slack
            slack_settings.rotation_slack_create_usergroup(
                rotation=rotation, actor=actor, handle=create.get("handle") or "", name=create.get("name") or ""
            )
    except slack_settings.SlackSettingsError as error:
        raise hooks.JsonFieldError(
            error.message,
            field=JSON_NAMES.get(error.field or "", "slack"),
            code=error.code,
            status=STATUS.get(error.code, 400),
        ) from error


# --- the Slack section's test message and template preview ---------------------------------------


class SlackTestMessage(Schema):
    text: str = Field(description="What Roster posted to the message channel.")


class SlackTemplatesPreview(Schema):
    on_duty: Text | None = None
    off_duty: Text | None = None
    reminder: Text | None = None


class SlackPreviewRequest(Schema):
    topic_template: Text | None = None
    topic_channel_id: Text | None = None
    message_channel_id: Text | None = None
    reminder_hours: whole_number(ge=1, le=email.MAX_HOURS) | None = None  # type: ignore[valid-type]
    message_templates: SlackTemplatesPreview | None = None


class SlackPreview(Schema):
    field: str = Field(description="The key it is about: `topicTemplate` or `messageTemplates.<key>`.")
    label: str
    text: str = Field(description="The message filled with sample values; when `error`, why it would not be saved.")
    error: bool


class SlackPreviews(Schema):
    previews: list[SlackPreview]


@router.post(
    "/rotations/{int:rotation_id}/slack/test-message",
    response={200: SlackTestMessage, 409: Error, 503: Error},
    auth=auth(),
    operation_id="sendSlackTestMessage",
    summary="Send a test Slack message (admins)",
)
def slack_test_message(request, rotation_id: Id):
    """Posts the on-duty message, filled with who is on call now and marked "(Test)", to the rotation's
    message channel, as the page's Send test message does. 409 `not_sent`: no message channel (or Slack
    not connected), or Slack refused it (the message says how to fix it: invite @Roster, Reconnect
    Slack); 503 `slack_unavailable`: Slack is down or rate-limiting, try again later."""
    rotation = _rotation(request, rotation_id)
    try:
        return {"text": slack_sending.send_test_message(rotation=rotation, actor=api_actor(request))}
    except registry.SendError as error:
        raise (
            ApiError(409, "not_sent", error.reason)
            if error.permanent
            else ApiError(503, "slack_unavailable", error.reason)
        ) from error


@router.post(
    "/rotations/{int:rotation_id}/slack/preview",
    response=SlackPreviews,
    auth=auth(),
    operation_id="previewSlackTemplates",
    summary="Preview a rotation's Slack messages (admins)",
)
def slack_preview(request, rotation_id: Id, payload: SlackPreviewRequest):
    """What will be posted, as the page's preview shows it: each template filled with sample values,
    or its default text while it is empty and its channel (or reminder) is on. Any subset of the
    `slack` keys it depends on; a key not sent is the rotation's saved value (`{}` previews what is
    saved), null empties it. A template that would not be saved is `error: true`, `text` saying why.
    Saves nothing, sends nothing."""
    rotation = _rotation(request, rotation_id)
    config = slack_settings.rotation_slack_get(rotation) or RotationSlack(rotation=rotation)
    given = payload.model_dump(exclude_unset=True)
    if "message_templates" in given:
        templates = given.pop("message_templates") or dict.fromkeys(("on_duty", "off_duty", "reminder"))
        given |= {f"{key}_template": value for key, value in templates.items()}
    settings = {field: getattr(config, field) for field in slack_page.PREVIEW_INPUTS} | given
    return {
        "previews": [
            {**found, "field": JSON_NAMES[found["field"]].removeprefix("slack.")}
            for found in slack_page.previews(settings)
        ]
    }


# The `slack` key's schemas (read and PATCH), for the rotation's schemas; slack_patch checks the values.
def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_PLACEHOLDERS = "Placeholders: {rotation}, {person}, {next}, {since}, {until}, {schedule_url}."
_TEMPLATES = {
    "type": "object",
    "required": ["onDuty", "offDuty", "reminder"],
    "properties": {
        "onDuty": nullable({"type": "string", "description": "Posted at each handoff. " + _PLACEHOLDERS}),
        "offDuty": nullable({"type": "string", "description": "Posted at each handoff, about who goes off duty."}),
        "reminder": nullable(
            {
                "type": "string",
                "description": "A direct message to the person `reminderHours` before their shift (a default "
                "text when null). " + _PLACEHOLDERS,
            }
        ),
    },
}
_SLACK_WRITABLE = {
    "userGroupId": nullable(
        {"type": "string", "description": "The on-duty user group (kept equal to who is on call)."}
    ),
    "topicChannelId": nullable({"type": "string"}),
    "topicTemplate": nullable(
        {
            "type": "string",
            "description": "At most 250 characters once rendered (null: a default text). " + _PLACEHOLDERS,
        }
    ),
    "messageChannelId": nullable({"type": "string", "description": "Where on/off-duty messages go."}),
    "reminderHours": nullable({"type": "integer", "minimum": 1, "maximum": 168}),
    "permanentMemberIds": {
        "type": "array",
        "items": {"type": "string"},
        "maxItems": 50,
        "description": "Slack user ids always in the group.",
    },
    "gapBehaviour": {
        "type": "string",
        "enum": ["keep", "disable"],
        "description": "Nobody on call: keep the group as it was (Slack refuses an empty group) or disable it.",
    },
}
_SLACK_READ_ONLY = {
    "linked": {"type": "integer", "description": "Members matched to a Slack user by email (read-only)."},
    "total": {"type": "integer", "description": "Members (read-only)."},
    "unlinked": {"type": "array", "items": {"type": "string"}, "description": "Emails with no Slack user (read-only)."},
}
SLACK_SCHEMAS: dict[str, dict] = {
    "RotationSlack": {
        "type": "object",
        "description": "The rotation's Slack settings (null when Slack is not connected); every key present, null when unset.",
        "required": [*_SLACK_WRITABLE, "messageTemplates", "linked", "total", "unlinked"],
        "properties": {**_SLACK_WRITABLE, "messageTemplates": _TEMPLATES, **_SLACK_READ_ONLY},
    },
    "RotationSlackUpdate": {
        "type": "object",
        "description": 'Any subset; null turns a part off, `"slack": null` turns all off. Read-only keys are ignored '
        "(a body read with GET may be sent back); any other key is a 400 naming it. 409 `not_connected` without "
        "Slack.",
        "additionalProperties": False,
        "properties": {
            **_SLACK_WRITABLE,
            **_SLACK_READ_ONLY,
            "messageTemplates": nullable({**_TEMPLATES, "required": [], "additionalProperties": False}),
            "createUserGroup": {
                "type": "object",
                "required": ["handle"],
                "additionalProperties": False,
                "description": "Write-only. Roster creates the user group `@handle` in Slack (usergroups.create), "
                "makes it the on-duty group (`userGroupId`) and fills it with whoever is on call now. Not with "
                "`userGroupId`. Slack's refusal is a 409 `slack_refused` naming `slack.createUserGroup.handle` or "
                "`.name` in `errors`, in plain words (`name_already_exists`, `handle_already_exists`, "
                "`permission_denied`, `missing_scope`, `paid_teams_only`); Slack unreachable or rate-limiting: "
                "503 `slack_unavailable`.",
                "properties": {
                    "handle": {"type": "string", "description": "Without the @: lower-case letters, digits, . - _"},
                    "name": {
                        "type": "string",
                        "pattern": one_line_pattern(required=False),
                        "description": "One line. Defaults to “<rotation> on call”.",
                    },
                },
                "example": {"handle": "platform-oncall", "name": "Platform on call"},
            },
        },
    },
}


def _no_nul(schema: Any) -> Any:
    """The API refuses a NUL character anywhere in a body (as text, or as a key): say so in every
    string and object of these hand-written schemas, as `accounts.api.Text` does for the others."""
    if isinstance(schema, dict):
        schema = {key: _no_nul(value) for key, value in schema.items()}
        if schema.get("type") == "string" or (isinstance(schema.get("type"), list) and "string" in schema["type"]):
            schema.setdefault("pattern", NO_NUL)
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            schema.setdefault("propertyNames", {"pattern": NO_NUL})
        return schema
    if isinstance(schema, list):
        return [_no_nul(item) for item in schema]
    return schema


NO_NUL = r"^[^\x00]*$"
SLACK_SCHEMAS = _no_nul(SLACK_SCHEMAS)


def install() -> None:
    hooks.register_json_field(
        hooks.JsonField(
            "slack",
            slack_json,
            slack_patch,
            read_many=slack_json_many,
            write_scope="admin",
            schema=nullable(SLACK_SCHEMAS["RotationSlack"]),
            write_schema=nullable(SLACK_SCHEMAS["RotationSlackUpdate"]),
        )
    )


def notification_json(n: Notification) -> dict:
    return {
        "id": n.pk,
        "channel": n.channel,
        "target": n.target,
        "kind": n.kind,
        "kindLabel": registry.kind(n.kind).label,
        "handoffId": n.handoff_id,
        "coverRequestId": n.cover_request_id,
        "sourceAt": n.source_at.isoformat(),
        "status": n.status,
        "attempts": n.attempts,
        "nextAttemptAt": n.next_attempt_at.isoformat() if n.status == Notification.Status.PENDING else None,
        "lastError": n.last_error or None,
        "sentAt": n.sent_at.isoformat() if n.sent_at else None,
        "createdAt": n.created_at.isoformat(),
    }
