"""OpenAPI description of the Slack connection's JSON API (api.py); merged by config/api_schema.py."""

from config.api_schema import error, json_response, nullable

TAG = {
    "name": "Slack connection",
    "description": "The organization's Slack workspace, added with Add to Slack on Settings → Integrations (admins).",
}

_STATUS_EXAMPLE = {
    "connected": True,
    "status": "active",
    "teamId": "T0ACME",
    "teamName": "Acme Ops",
    "teamUrl": "https://acme-ops.slack.com/",
    "enterpriseId": None,
    "appId": "A0ROSTER",
    "botUserId": "U0ROSTER",
    "botName": "roster",
    "scopes": ["usergroups:read", "usergroups:write", "users:read", "users:read.email", "chat:write"],
    "missingScopes": ["channels:read", "groups:read", "channels:write.topic", "groups:write.topic"],
    "validatedAt": "2026-01-05T09:00:00+00:00",
    "lastError": None,
    "lastErrorAt": None,
}
_NOT_CONNECTED = {"connected": False, "status": "not_connected", "setupProblem": None}

PATHS = {
    "/api/integrations/slack/": {
        "get": {
            "operationId": "getSlackConnection",
            "summary": "Slack connection status",
            "description": "Never the bot token. `status` is `needs_reauth` when Slack refused the token "
            "(the app was removed or the token revoked): an admin clicks Reconnect Slack. When not connected, "
            "`setupProblem` says what the operator must set before anyone can Add to Slack (or is null).",
            "responses": {
                "200": json_response("The connection, or `connected: false`.", "SlackConnectionStatus", _STATUS_EXAMPLE)
            },
        },
        "delete": {
            "operationId": "disconnectSlack",
            "summary": "Disconnect Slack",
            "description": "Revokes the bot token at Slack (`auth.revoke`, best effort), then deletes it.",
            "responses": {
                "200": json_response("Disconnected.", "SlackConnectionStatus", _NOT_CONNECTED),
                "404": error("Slack is not connected.", "not_connected"),
            },
        },
    },
}

_STRING_OR_NULL = nullable({"type": "string"})
_DATE_TIME_OR_NULL = nullable({"type": "string", "format": "date-time"})

SCHEMAS = {
    "SlackConnectionStatus": {
        "type": "object",
        "required": ["connected", "status"],
        "properties": {
            "connected": {"type": "boolean"},
            "status": {"type": "string", "enum": ["not_connected", "active", "needs_reauth"]},
            "setupProblem": _STRING_OR_NULL,
            "teamId": {"type": "string"},
            "teamName": {"type": "string"},
            "teamUrl": _STRING_OR_NULL,
            "enterpriseId": _STRING_OR_NULL,
            "appId": _STRING_OR_NULL,
            "botUserId": _STRING_OR_NULL,
            "botName": _STRING_OR_NULL,
            "scopes": {"type": "array", "items": {"type": "string"}},
            "missingScopes": {"type": "array", "items": {"type": "string"}},
            "validatedAt": _DATE_TIME_OR_NULL,
            "lastError": _STRING_OR_NULL,
            "lastErrorAt": _DATE_TIME_OR_NULL,
        },
    },
}
