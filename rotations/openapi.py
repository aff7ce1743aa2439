"""OpenAPI description of this app's JSON API (api.py); merged by config/api_schema.py."""

from config.api_schema import error, int_path, json_body, json_response, nullable, ref

TAG = {
    "name": "Rotations",
    "description": "Rotations on a native cadence or following a PagerDuty schedule. Members read; admins write.",
}

_ROTATION_ID = int_path("rotation_id", "The rotation's id.")
_PERSON = {"name": "Ada Lovelace", "email": "ada@acme.example", "memberId": 7, "pagerdutyUserId": None, "matched": True}
_ROTATION_EXAMPLE = {
    "id": 3,
    "name": "Platform primary",
    "description": "",
    "timeZone": "Europe/London",
    "cadence": {"every": 1, "unit": "weeks", "handoffTime": "09:00", "startDate": "2026-01-05", "readOnly": False},
    "members": [{"id": 7, "name": "Ada Lovelace", "email": "ada@acme.example"}],
    "pagerdutyScheduleId": None,
    "pagerduty": None,
    "sync": {"state": "idle", "lastSyncAt": None, "ok": None, "error": None},
    "slack": None,
}
_CREATE_EXAMPLE = {
    "name": "Platform primary",
    "timeZone": "Europe/London",
    "members": [{"name": "Ada Lovelace", "email": "ada@acme.example"}],
    "cadence": {"every": 1, "unit": "weeks", "handoffTime": "09:00", "startDate": "2026-01-05"},
}
_CONFLICT = error(
    "The cadence is read-only while the rotation follows a PagerDuty schedule (`cadence_read_only`), or "
    "binding a schedule needs a PagerDuty connection (`not_connected`), or Slack refused "
    "`slack.createUserGroup` (`slack_refused`).",
)

PATHS = {
    "/api/rotations/": {
        "get": {
            "operationId": "listRotations",
            "summary": "List rotations",
            "description": "Members, cadence, PagerDuty binding and last sync of every rotation.",
            "responses": {"200": json_response("The organization's rotations.", "RotationList")},
        },
        "post": {
            "operationId": "createRotation",
            "summary": "Create a rotation",
            "description": "A `pagerdutyScheduleId` binds it to that schedule and enqueues a sync (admins).",
            "requestBody": json_body("RotationCreate", _CREATE_EXAMPLE),
            "responses": {
                "201": json_response("Created.", "Rotation", _ROTATION_EXAMPLE),
                "409": error("Binding to a schedule needs a PagerDuty connection.", "not_connected"),
            },
        },
    },
    "/api/rotations/{rotation_id}/": {
        "parameters": [_ROTATION_ID],
        "get": {
            "operationId": "getRotation",
            "summary": "One rotation",
            "responses": {"200": json_response("The rotation.", "Rotation", _ROTATION_EXAMPLE)},
        },
        "patch": {
            "operationId": "updateRotation",
            "summary": "Update a rotation",
            "description": "`members` replaces the list in round-robin order (people kept by email); a "
            "`pagerdutyScheduleId` binds, `null` unbinds (admins; a write token). `slack` changes a whole "
            "Slack workspace (which user group Roster rewrites, who is always in it, where it posts): it needs "
            "an admin token (else 403 `insufficient_scope`, `requiredScope: admin`).",
            "requestBody": json_body("RotationUpdate", {"name": "Platform primary (EU)", "timeZone": "Europe/Paris"}),
            "responses": {
                "200": json_response("The updated rotation.", "Rotation", _ROTATION_EXAMPLE),
                "409": _CONFLICT,
                "503": error("Slack could not be reached to create `slack.createUserGroup`.", "slack_unavailable"),
            },
        },
        "delete": {
            "operationId": "deleteRotation",
            "summary": "Delete a rotation",
            "responses": {"204": {"description": "Deleted."}},
        },
    },
    "/api/rotations/{rotation_id}/sync": {
        "parameters": [_ROTATION_ID],
        "post": {
            "operationId": "syncRotation",
            "summary": "Sync from PagerDuty now",
            "description": "Enqueues a sync of the bound schedule (admins); a rotation that follows no schedule is a 400 `not_bound`.",
            "responses": {
                "202": json_response("The sync is running.", "SyncStarted", {"id": 3, "sync": {"state": "running"}}),
                "409": error("PagerDuty is not connected.", "not_connected"),
            },
        },
    },
    "/api/rotations/{rotation_id}/current": {
        "parameters": [_ROTATION_ID],
        "get": {
            "operationId": "getOnCallNow",
            "summary": "Who is on call now",
            "description": "`gap: true` when nobody is.",
            "responses": {
                "200": json_response(
                    "Now.",
                    "OnCallNow",
                    {
                        "at": "2026-01-06T10:00:00+00:00",
                        "gap": False,
                        "onCall": [_PERSON],
                        "since": "2026-01-05T09:00:00+00:00",
                        "until": "2026-01-12T09:00:00+00:00",
                        "scheduleDeleted": False,
                    },
                )
            },
        },
    },
    "/api/rotations/{rotation_id}/shifts": {
        "parameters": [_ROTATION_ID],
        "get": {
            "operationId": "listShifts",
            "summary": "Shifts in a window",
            "description": "Shifts between two ISO 8601 times, gaps included (default: the next 14 days; at most 93 days).",
            "parameters": [
                {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}},
            ],
            "responses": {"200": json_response("The shifts.", "ShiftList")},
        },
    },
}

_STRING_OR_NULL = nullable({"type": "string"})
_MEMBER_INPUT = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}},
}
_CADENCE_INPUT = {
    "type": "object",
    "properties": {
        "every": {"type": "integer", "minimum": 1},
        "unit": {"type": "string", "enum": ["days", "weeks"]},
        "handoffTime": {"type": "string", "examples": ["09:00"], "description": "HH:MM in the rotation's time zone."},
        "startDate": {"type": "string", "format": "date"},
    },
}
_WRITABLE = {
    "name": {"type": "string", "minLength": 1},
    "description": {"type": "string"},
    "timeZone": {"type": "string", "examples": ["Europe/London"], "description": "An IANA time zone."},
    "members": {"type": "array", "items": _MEMBER_INPUT, "description": "In round-robin order."},
    "cadence": _CADENCE_INPUT,
}

SCHEMAS = {
    "Rotation": {
        "type": "object",
        "required": [
            "id",
            "name",
            "description",
            "timeZone",
            "cadence",
            "members",
            "pagerdutyScheduleId",
            "pagerduty",
            "sync",
            "slack",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "timeZone": {"type": "string"},
            "cadence": {
                "type": "object",
                "required": ["every", "unit", "handoffTime", "startDate", "readOnly"],
                "properties": {
                    "every": {"type": "integer"},
                    "unit": {"type": "string"},
                    "handoffTime": {"type": "string"},
                    "startDate": {"type": "string", "format": "date"},
                    "readOnly": {"type": "boolean", "description": "True while bound to a PagerDuty schedule."},
                },
            },
            "members": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "email"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}},
                },
            },
            "pagerdutyScheduleId": _STRING_OR_NULL,
            "pagerduty": nullable(
                {
                    "type": "object",
                    "required": ["scheduleId", "scheduleName", "kind", "deleted"],
                    "properties": {
                        "scheduleId": {"type": "string"},
                        "scheduleName": _STRING_OR_NULL,
                        "kind": _STRING_OR_NULL,
                        "deleted": {"type": "boolean"},
                    },
                }
            ),
            "sync": {
                "type": "object",
                "required": ["state", "lastSyncAt", "ok", "error"],
                "properties": {
                    "state": {"type": "string", "enum": ["idle", "running"]},
                    "lastSyncAt": nullable({"type": "string", "format": "date-time"}),
                    "ok": nullable({"type": "boolean"}),
                    "error": _STRING_OR_NULL,
                },
            },
            "slack": nullable(ref("RotationSlack")),  # notifications adds it (rotations.hooks.register_json_field)
        },
    },
    "RotationList": {
        "type": "object",
        "required": ["rotations"],
        "properties": {"rotations": {"type": "array", "items": ref("Rotation")}},
    },
    "RotationCreate": {
        "type": "object",
        "required": ["name", "timeZone"],
        "properties": {
            **_WRITABLE,
            "pagerdutyScheduleId": {"type": "string", "description": "Binds to this schedule."},
        },
    },
    "RotationUpdate": {
        "type": "object",
        "properties": {
            **_WRITABLE,
            "pagerdutyScheduleId": nullable({"type": "string", "description": "A schedule id binds; null unbinds."}),
            "slack": nullable(ref("RotationSlackUpdate")),
        },
    },
    "SyncStarted": {
        "type": "object",
        "required": ["id", "sync"],
        "properties": {
            "id": {"type": "integer"},
            "sync": {"type": "object", "required": ["state"], "properties": {"state": {"const": "running"}}},
        },
    },
    "Person": {
        "type": "object",
        "required": ["name", "email", "memberId", "pagerdutyUserId", "matched"],
        "properties": {
            "name": {"type": "string"},
            "email": _STRING_OR_NULL,
            "memberId": nullable({"type": "integer"}),
            "pagerdutyUserId": _STRING_OR_NULL,
            "matched": {"type": "boolean", "description": "False for a PagerDuty user who is not a rotation member."},
        },
    },
    "OnCallNow": {
        "type": "object",
        "required": ["at", "gap", "onCall", "since", "until", "scheduleDeleted"],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "gap": {"type": "boolean"},
            "onCall": {"type": "array", "items": ref("Person")},
            "since": nullable({"type": "string", "format": "date-time"}),
            "until": nullable({"type": "string", "format": "date-time"}),
            "scheduleDeleted": {"type": "boolean"},
        },
    },
    "ShiftList": {
        "type": "object",
        "required": ["since", "until", "timeZone", "shifts"],
        "properties": {
            "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"},
            "timeZone": {"type": "string"},
            "shifts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["start", "end", "gap", "override", "person"],
                    "properties": {
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time"},
                        "gap": {"type": "boolean"},
                        "override": {"type": "boolean"},
                        "person": nullable(ref("Person")),
                    },
                },
            },
        },
    },
}
