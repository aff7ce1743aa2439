"""OpenAPI description of this app's JSON API (api.py); merged by config/api_schema.py."""

from config.api_schema import error, int_path, json_body, json_response, nullable, ref

from .models import Notification

TAG = {
    "name": "Notifications",
    "description": "What Roster told people about each handoff (Slack, email, outgoing webhooks) and the result. "
    "Members read. Email reminders: each person's own (before a shift, when a shift moves) and the rotation's "
    "defaults for people who made no choice (admins change them).",
}

_STRING_OR_NULL = nullable({"type": "string"})
_TIME_OR_NULL = nullable({"type": "string", "format": "date-time"})
_EXAMPLE = {
    "id": 81,
    "channel": "slack",
    "target": "channel:C024BE91L",
    "kind": "slack.message",
    "kindLabel": "Slack handoff message",
    "handoffId": 12,
    "sourceAt": "2026-01-12T09:00:00+00:00",
    "status": "failed",
    "attempts": 1,
    "nextAttemptAt": None,
    "lastError": "Roster is not in #ops: invite @Roster to #ops.",
    "sentAt": None,
    "createdAt": "2026-01-12T09:00:04+00:00",
}

PATHS = {
    "/api/rotations/{rotation_id}/notifications": {
        "parameters": [int_path("rotation_id", "The rotation's id.")],
        "get": {
            "operationId": "listRotationNotifications",
            "summary": "A rotation's recent notifications",
            "description": "The last 50, newest first: each with its channel, target, status "
            "(`pending`, `sending`, `sent`, `failed`, `skipped`), attempts, next try and, when it failed or "
            "was skipped, why in plain words.",
            "responses": {
                "200": json_response("Its recent notifications.", "NotificationList", {"notifications": [_EXAMPLE]})
            },
        },
    },
}

_ROTATION = [int_path("rotation_id", "The rotation's id.")]
_HOURS = nullable({"type": "integer", "minimum": 1, "maximum": 168, "description": "null: no reminder."})
_DEFAULTS = {"reminderHours": 12, "shiftMoved": False}
_MINE = {
    "email": "ana@acme.example",
    "reminderHours": 12,
    "shiftMoved": True,
    "followsDefault": False,
    "defaults": {"reminderHours": None, "shiftMoved": False},
}
PATHS |= {
    "/api/rotations/{rotation_id}/reminders/me": {
        "parameters": _ROTATION,
        "get": {
            "operationId": "getMyReminders",
            "summary": "My email reminders for a rotation",
            "description": "For the signed-in person (or the person who created the API token), by their account "
            "email: a reminder `reminderHours` before each of their shifts, and an email when a shift of theirs "
            "moves. `followsDefault`: no choice of their own, the rotation's defaults apply.",
            "responses": {
                "200": json_response("Their reminders.", "MyReminders", _MINE),
                "409": error("An operator's API token acts for no person.", "no_person"),
            },
        },
        "patch": {
            "operationId": "updateMyReminders",
            "summary": "Change my email reminders for a rotation",
            "description": "Any subset; `followDefault: true` drops the person's own choice (the defaults apply again).",
            "requestBody": json_body("MyRemindersUpdate", {"reminderHours": 12, "shiftMoved": True}),
            "responses": {
                "200": json_response("Their reminders now.", "MyReminders", _MINE),
                "409": error("An operator's API token acts for no person.", "no_person"),
            },
        },
    },
    "/api/rotations/{rotation_id}/reminders/defaults": {
        "parameters": _ROTATION,
        "get": {
            "operationId": "getReminderDefaults",
            "summary": "A rotation's email reminder defaults",
            "description": "What people who made no choice of their own get (both off unless an admin turns them on).",
            "responses": {"200": json_response("The defaults.", "ReminderDefaults", _DEFAULTS)},
        },
        "patch": {
            "operationId": "updateReminderDefaults",
            "summary": "Change a rotation's email reminder defaults (admins)",
            "requestBody": json_body("ReminderDefaults", _DEFAULTS),
            "responses": {"200": json_response("The defaults now.", "ReminderDefaults", _DEFAULTS)},
        },
    },
}

SCHEMAS = {
    "ReminderDefaults": {
        "type": "object",
        "required": ["reminderHours", "shiftMoved"],
        "properties": {"reminderHours": _HOURS, "shiftMoved": {"type": "boolean"}},
    },
    "MyReminders": {
        "type": "object",
        "required": list(_MINE),
        "properties": {
            "email": {"type": "string"},
            "reminderHours": _HOURS,
            "shiftMoved": {"type": "boolean"},
            "followsDefault": {"type": "boolean"},
            "defaults": ref("ReminderDefaults"),
        },
    },
    "MyRemindersUpdate": {
        "type": "object",
        "properties": {
            "reminderHours": _HOURS,
            "shiftMoved": {"type": "boolean"},
            "followDefault": {"type": "boolean", "description": "true: drop my own choice."},
        },
    },
    "Notification": {
        "type": "object",
        "required": list(_EXAMPLE),
        "properties": {
            "id": {"type": "integer"},
            "channel": {"type": "string", "description": "Where it goes: `slack`, `email`, `webhook`."},
            "target": {"type": "string", "description": "The channel's own id of the recipient."},
            "kind": {"type": "string"},
            "kindLabel": {"type": "string"},
            "handoffId": nullable({"type": "integer"}),
            "sourceAt": {"type": "string", "format": "date-time", "description": "The handoff or shift it is about."},
            "status": {"type": "string", "enum": list(Notification.Status.values)},
            "attempts": {"type": "integer", "minimum": 0},
            "nextAttemptAt": _TIME_OR_NULL,
            "lastError": _STRING_OR_NULL,
            "sentAt": _TIME_OR_NULL,
            "createdAt": {"type": "string", "format": "date-time"},
        },
    },
    "NotificationList": {
        "type": "object",
        "required": ["notifications"],
        "properties": {"notifications": {"type": "array", "items": ref("Notification")}},
    },
}

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
        {"type": "string", "description": "At most 250 characters once rendered. " + _PLACEHOLDERS}
    ),
    "messageChannelId": nullable({"type": "string", "description": "Where on/off-duty messages go."}),
    "reminderHours": nullable({"type": "integer", "minimum": 1, "maximum": 168}),
    "permanentMemberIds": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Slack user ids always in the group.",
    },
    "gapBehaviour": {
        "type": "string",
        "enum": ["keep", "disable"],
        "description": "Nobody on call: keep the group as it was (Slack refuses an empty group) or disable it.",
    },
}
SCHEMAS |= {
    "RotationSlack": {
        "type": "object",
        "description": "The rotation's Slack settings (null when Slack is not connected); every key present, null when unset.",
        "required": [*_SLACK_WRITABLE, "messageTemplates", "linked", "total", "unlinked"],
        "properties": {
            **_SLACK_WRITABLE,
            "messageTemplates": _TEMPLATES,
            "linked": {"type": "integer", "description": "Members matched to a Slack user by email (read-only)."},
            "total": {"type": "integer", "description": "Members (read-only)."},
            "unlinked": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Emails with no Slack user (read-only).",
            },
        },
    },
    "RotationSlackUpdate": {
        "type": "object",
        "description": 'Any subset; null turns a part off, `"slack": null` turns all off. Read-only keys are ignored. '
        "409 `not_connected` without Slack.",
        "properties": {
            **_SLACK_WRITABLE,
            "messageTemplates": nullable({**_TEMPLATES, "required": []}),
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
                    "name": {"type": "string", "description": "Defaults to “<rotation> on call”."},
                },
                "example": {"handle": "platform-oncall", "name": "Platform on call"},
            },
        },
    },
}
