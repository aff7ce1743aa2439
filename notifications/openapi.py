"""The schemas of the rotation JSON's `slack` key (notifications.api.slack_json / slack_patch,
registered with rotations.hooks): referenced by the rotations API's description (rotations/openapi.py),
merged by config/api_schema.py until the rotations API moves to a django-ninja router."""

from config.api_schema import nullable

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
SCHEMAS = {
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
