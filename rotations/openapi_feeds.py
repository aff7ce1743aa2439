"""OpenAPI description of the calendar-feed endpoints (api_feeds.py); merged by config/api_schema.py."""

from config.api_schema import NO_CONTENT, error, int_path, json_body, json_response, nullable

TAG = {
    "name": "Calendar feeds",
    "description": "Private iCalendar subscription URLs (`/cal/<token>.ics`): a rotation's shifts, or yours in "
    "every rotation. Only a hash of the token is stored: the URL is answered once, by the POST that creates it. "
    "Each person has their own URL (a session or a person's API token manages theirs; an operator's token, the "
    "rotation's API-token feed); leaving the organization or a deactivated account revokes them all.",
}

_FEED = {
    "kind": "rotation",
    "last4": "x9Qa",
    "alarmMinutes": None,
    "createdAt": "2026-03-06T12:00:00+00:00",
    "madeByApiToken": False,
}
_CREATED = {
    "feed": _FEED
    | {
        "url": "https://roster.example.com/cal/cal_…x9Qa.ics",
        "webcalUrl": "webcal://roster.example.com/cal/cal_…x9Qa.ics",
    }
}


def _item(name: str, what: str, params: list) -> dict:
    item: dict = {
        "get": {
            "operationId": f"get{name}",
            "summary": f"Show {what}",
            "description": "The active feed (`null` when there is none), never its URL.",
            "responses": {"200": json_response("The active feed or null.", "CalendarFeedShown", {"feed": _FEED})},
        },
        "post": {
            "operationId": f"create{name}",
            "summary": f"Create or regenerate {what}",
            "description": "A new URL, answered this once; the previous URL (if any) stops working. "
            "`alarmMinutes` adds a reminder that long before each shift.",
            "requestBody": json_body("CalendarFeedCreate", {"alarmMinutes": 30}, required=False),
            "responses": {"201": json_response("Created.", "CalendarFeedShown", _CREATED)},
        },
        "delete": {
            "operationId": f"revoke{name}",
            "summary": f"Revoke {what}",
            "description": "Its URL answers 404 from now on.",
            "responses": {"204": NO_CONTENT},
        },
    }
    if params:
        item["parameters"] = params
    return item


_me = _item("MyCalendar", "my calendar feed", [])
for _method in ("get", "post", "delete"):
    _me[_method]["responses"]["409"] = error("An operator's API token acts for no person.", "no_person")

PATHS = {
    "/api/rotations/{rotation_id}/calendar": _item(
        "RotationCalendar",
        "my calendar feed of the rotation",
        [int_path("rotation_id", "The rotation's id.")],
    ),
    "/api/me/calendar": _me,
}

_STRING = {"type": "string"}
SCHEMAS = {
    "CalendarFeedShown": {
        "type": "object",
        "required": ["feed"],
        "properties": {
            "feed": nullable(
                {
                    "type": "object",
                    "required": ["kind", "last4", "alarmMinutes", "createdAt"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["rotation", "person"]},
                        "last4": _STRING,
                        "alarmMinutes": nullable({"type": "integer"}),
                        "createdAt": {"type": "string", "format": "date-time"},
                        "madeByApiToken": {
                            "type": "boolean",
                            "description": "A rotation feed made by an operator's API token (acting for no person), "
                            "not one person's own.",
                        },
                        "url": {"type": "string", "description": "Only in the POST's answer."},
                        "webcalUrl": {"type": "string", "description": "Only in the POST's answer."},
                    },
                }
            )
        },
    },
    "CalendarFeedCreate": {
        "type": "object",
        "properties": {"alarmMinutes": nullable({"type": "integer", "minimum": 1, "maximum": 10080})},
    },
}
