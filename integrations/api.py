"""What every provider's JSON connection status shares (GET/DELETE /api/integrations/<provider>/):
the common fields, their OpenAPI schema, and DELETE's "not connected" answer. Never a secret."""

from accounts.api import ApiError, iso
from config.api_schema import nullable

STRING_OR_NULL = nullable({"type": "string"})
DATE_TIME_OR_NULL = nullable({"type": "string", "format": "date-time"})


def connection_status_json(connection, **fields) -> dict:
    """A connected provider's status: `connected`, `status`, the provider's own `fields`, then when
    it was last validated and its last error."""
    return {
        "connected": True,
        "status": connection.status,
        **fields,
        "validatedAt": iso(connection.validated_at),
        "lastError": connection.last_error or None,
        "lastErrorAt": iso(connection.last_error_at),
    }


def connection_status_schema(statuses: list[str], **properties) -> dict:
    """The OpenAPI schema of `connection_status_json` (`statuses` besides `not_connected`)."""
    return {
        "type": "object",
        "required": ["connected", "status"],
        "properties": {
            "connected": {"type": "boolean"},
            "status": {"type": "string", "enum": ["not_connected", *statuses]},
            **properties,
            "validatedAt": DATE_TIME_OR_NULL,
            "lastError": STRING_OR_NULL,
            "lastErrorAt": DATE_TIME_OR_NULL,
        },
    }


def not_connected(message: str) -> ApiError:
    return ApiError(404, "not_connected", message)
