"""OpenAPI description of this app's JSON API (api.py, api_oauth.py); merged by config/api_schema.py."""

from config.api_schema import error, json_body, json_response, nullable
from integrations.api import DATE_TIME_OR_NULL, STRING_OR_NULL, connection_status_schema

TAG = {"name": "PagerDuty connection", "description": "Connect PagerDuty with a REST API key or OAuth (admins)."}

_STATUS_EXAMPLE = {
    "connected": True,
    "status": "active",
    "displayName": "Ada Lovelace (acme)",
    "authType": "api_key",
    "region": "us",
    "isAccountKey": False,
    "externalUserEmail": "ada@acme.example",
    "externalUserName": "Ada Lovelace",
    "accountSubdomain": "acme",
    "capabilities": {},
    "validatedAt": "2026-01-05T09:00:00+00:00",
    "keyLast4": "9xQz",
    "lastError": None,
    "lastErrorAt": None,
    "health": {
        "state": "active",
        "label": "Active",
        "message": None,
        "action": None,
        "since": None,
        "fixers": [],
        "help": None,
    },
}
_KEY_EXAMPLE = {"token": "u+abcdEFGH12345678", "region": "us"}
_PAGERDUTY_DOWN = {
    "502": error("PagerDuty could not be reached or answered with an error; nothing was saved.", "unavailable"),
    "503": error(
        "PagerDuty rate-limited the check (`Retry-After` says when to retry); nothing was saved.", "rate_limited"
    ),
}

PATHS = {
    "/api/integrations/pagerduty/": {
        "get": {
            "operationId": "getPagerDutyConnection",
            "summary": "Connection status",
            "description": "Never a secret: the key shows as `keyLast4` only. OAuth connections add "
            "`oauthApp`, `scopes`, `missingScopes`, `tokenExpiresAt`, `lastRefreshedAt`, `lastRefreshResult`. "
            "`health` is the status the card shows: `active`; `degraded` (PagerDuty unreachable or "
            "rate-limiting: Roster retries by itself, nothing to do); `action_needed` (`action` names what an "
            "admin clicks in Settings → Integrations, `fixers` the admins who can); `not_connected`.",
            "responses": {
                "200": json_response("The connection, or `connected: false`.", "ConnectionStatus", _STATUS_EXAMPLE)
            },
        },
        "post": {
            "operationId": "connectPagerDuty",
            "summary": "Connect with a REST API key",
            "description": "The key is checked with PagerDuty before anything is saved.",
            "requestBody": json_body("ApiKeyRequest", _KEY_EXAMPLE),
            "responses": {
                "201": json_response("Connected.", "ConnectionStatus", _STATUS_EXAMPLE),
                "409": error(
                    "PagerDuty is already connected; PATCH to rotate the key or DELETE first.", "already_connected"
                ),
                **_PAGERDUTY_DOWN,
            },
        },
        "patch": {
            "operationId": "rotatePagerDutyKey",
            "summary": "Rotate the REST API key, or switch an OAuth connection to one",
            "description": "Replaces the credentials in place: on an OAuth connection this switches to the "
            "API key (Roster deletes its OAuth tokens). Every rotation keeps its PagerDuty schedule, so the key "
            "must belong to the connection's PagerDuty account (409 `different_account` otherwise). The current "
            "credentials stay if PagerDuty refuses the new key. To switch an API key connection to OAuth, "
            "start an OAuth login (`POST /api/integrations/pagerduty/oauth/login`): it replaces the key when "
            "the admin comes back, for the same account only.",
            "requestBody": json_body("ApiKeyRequest", _KEY_EXAMPLE),
            "responses": {
                "200": json_response("The new key is in use.", "ConnectionStatus", _STATUS_EXAMPLE),
                "404": error("PagerDuty is not connected.", "not_connected"),
                "409": error(
                    "The key belongs to another PagerDuty account than the connection's; nothing was changed "
                    "(disconnect first to use another account).",
                    "different_account",
                ),
                **_PAGERDUTY_DOWN,
            },
        },
        "delete": {
            "operationId": "disconnectPagerDuty",
            "summary": "Disconnect",
            "responses": {
                "200": json_response(
                    "Disconnected.", "ConnectionStatus", {"connected": False, "status": "not_connected"}
                ),
                "404": error("PagerDuty is not connected.", "not_connected"),
            },
        },
    },
    "/api/integrations/pagerduty/oauth/login": {
        "post": {
            "operationId": "startPagerDutyOAuthLogin",
            "summary": "Start an OAuth login",
            "description": "With your own PagerDuty app (`clientId` and `clientSecret`) or, when both are "
            "omitted, the operator's. Open `authorizeUrl` in a signed-in admin's browser before "
            "`expiresInSeconds` pass. On a connected organization the login replaces the credentials in place "
            "(switching from an API key, or re-authorizing) and rotations keep their schedules; a login to "
            "another PagerDuty account is refused and changes nothing.",
            "requestBody": json_body(
                "OAuthLoginRequest",
                {"clientId": "a1b2c3", "clientSecret": "s3cr3t-value", "region": "us"},
                required=False,
            ),
            "responses": {
                "200": json_response(
                    "Where to send the admin.",
                    "OAuthLogin",
                    {
                        "authorizeUrl": "https://identity.pagerduty.com/oauth/authorize?client_id=a1b2c3&state=...",
                        "redirectUrl": "https://roster.example.com/api/integrations/pagerduty/login/callback",
                        "scopes": ["openid", "schedules.read", "teams.read", "users.read"],
                        "expiresInSeconds": 600,
                    },
                ),
                **_PAGERDUTY_DOWN,
            },
        }
    },
    "/api/integrations/pagerduty/login/callback": {
        "get": {
            "operationId": "pagerDutyOAuthCallback",
            "summary": "OAuth redirect back (a browser page, not JSON)",
            "description": "PagerDuty sends the signed-in admin here; register "
            "`{PUBLIC_BASE_URL}/api/integrations/pagerduty/login/callback` in the PagerDuty app. It redirects "
            "to Settings → Integrations with the outcome, or to the sign-in page without a session.",
            "security": [{"session": []}],
            "parameters": [
                {"name": "code", "in": "query", "schema": {"type": "string"}, "description": "From PagerDuty."},
                {"name": "state", "in": "query", "schema": {"type": "string"}, "description": "From PagerDuty."},
                {"name": "subdomain", "in": "query", "schema": {"type": "string"}, "description": "From PagerDuty."},
                {"name": "error", "in": "query", "schema": {"type": "string"}, "description": "When refused."},
            ],
            "responses": {
                "302": {"description": "To Settings → Integrations (with the outcome), or to sign in."},
                "400": {
                    "description": "A NUL character in the URL.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "403": {"description": "Not an admin.", "content": {"text/html": {"schema": {"type": "string"}}}},
                "404": {"description": "No organization.", "content": {"text/html": {"schema": {"type": "string"}}}},
            },
        }
    },
}


SCHEMAS = {
    "ConnectionStatus": connection_status_schema(
        ["active", "invalid", "needs_reauth"],
        displayName={"type": "string"},
        authType={"type": "string", "enum": ["api_key", "oauth"]},
        region={"type": "string", "enum": ["us", "eu"]},
        isAccountKey={"type": "boolean"},
        externalUserEmail=STRING_OR_NULL,
        externalUserName=STRING_OR_NULL,
        accountSubdomain=STRING_OR_NULL,
        capabilities={"type": "object"},
        keyLast4=nullable({"type": "string", "maxLength": 4}),
        oauthApp={"type": "string", "enum": ["operator", "organization"]},
        scopes={"type": "array", "items": {"type": "string"}},
        missingScopes={"type": "array", "items": {"type": "string"}},
        tokenExpiresAt=DATE_TIME_OR_NULL,
        lastRefreshedAt=DATE_TIME_OR_NULL,
        lastRefreshResult=STRING_OR_NULL,
        health={"$ref": "#/components/schemas/ConnectionHealth"},
    ),
    "ConnectionHealth": {
        "type": "object",
        "required": ["state", "label", "message", "action", "since", "fixers", "help"],
        "properties": {
            "state": {"type": "string", "enum": ["active", "degraded", "action_needed", "not_connected"]},
            "label": {"type": "string", "description": "As the card shows it: Active, Degraded, Action needed."},
            "message": STRING_OR_NULL,
            "action": nullable(
                {"type": "string", "description": "What an admin clicks on the card (action_needed only)."}
            ),
            "since": DATE_TIME_OR_NULL,
            "fixers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The admins who can fix it (action_needed only).",
            },
            "help": nullable({"type": "string", "description": "How an admin fixes it, when there is more to say."}),
        },
    },
    "ApiKeyRequest": {
        "type": "object",
        "required": ["token"],
        "properties": {
            "token": {"type": "string", "minLength": 8, "description": "A PagerDuty REST API key (user or account)."},
            "region": {"type": "string", "enum": ["us", "eu"], "description": "Default `us` when connecting."},
        },
    },
    "OAuthLoginRequest": {
        "type": "object",
        "properties": {
            "clientId": {"type": "string"},
            "clientSecret": {"type": "string"},
            "region": {"type": "string", "enum": ["us", "eu"]},
        },
    },
    "OAuthLogin": {
        "type": "object",
        "required": ["authorizeUrl", "redirectUrl", "scopes", "expiresInSeconds"],
        "properties": {
            "authorizeUrl": {"type": "string"},
            "redirectUrl": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string"}},
            "expiresInSeconds": {"type": "integer"},
        },
    },
}
