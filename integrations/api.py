"""What every provider's JSON connection status shares (GET/DELETE /api/integrations/<provider>/):
the common fields and their schema, and DELETE's "not connected" answer. Never a secret."""

from accounts.api import ApiError, DateTime, Schema, iso


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


class ConnectionStatus(Schema):
    """A provider's connection as `connection_status_json` writes it (`connected: false` and
    `status: not_connected` with only a few keys when there is none)."""

    connected: bool
    status: str
    validated_at: DateTime | None = None
    last_error: str | None = None
    last_error_at: DateTime | None = None


def not_connected(message: str) -> ApiError:
    return ApiError(404, "not_connected", message)
