"""OpenAPI description of the Slack connection's JSON API (api.py); merged by config/api_schema.py."""

from config.api_schema import error, json_response
from integrations.api import STRING_OR_NULL, connection_status_schema

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

_STRINGS = {"type": "array", "items": {"type": "string"}}

SCHEMAS = {
    "SlackConnectionStatus": connection_status_schema(
        ["active", "needs_reauth"],
        setupProblem=STRING_OR_NULL,
        teamId={"type": "string"},
        teamName={"type": "string"},
        teamUrl=STRING_OR_NULL,
        enterpriseId=STRING_OR_NULL,
        appId=STRING_OR_NULL,
        botUserId=STRING_OR_NULL,
        botName=STRING_OR_NULL,
        scopes=_STRINGS,
        missingScopes=_STRINGS,
    ),
}
