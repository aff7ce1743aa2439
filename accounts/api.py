"""A tiny JSON API layer shared by every app: authentication, JSON bodies and `{code, message}` errors.

Scripts authenticate with `Authorization: Bearer <organization API token>`; a browser session works
too (then unsafe methods need the CSRF token, as for any form).
"""

import functools
import json
import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from .access import current_membership
from .services import api_token_authenticate

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> JsonResponse:
        response = JsonResponse({"code": self.code, "message": self.message, **self.extra}, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def error(status: int, code: str, message: str) -> JsonResponse:
    return ApiError(status, code, message).response()


def json_body(request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
        # PostgreSQL cannot store text containing NUL: refuse it here rather than fail in the database.
        has_nul = isinstance(data, dict) and _has_nul(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc
    except RecursionError as exc:  # e.g. 200,000 "[": nested deeper than any request of ours
        raise ApiError(400, "invalid_json", "The request body is nested too deeply.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    if has_nul:
        raise ApiError(400, "invalid_request", "Text values may not contain NUL characters.")
    return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _authenticate(request):
    """Sets request.organization and request.is_org_admin, or raises ApiError(401/403)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = api_token_authenticate(header.removeprefix("Bearer ").strip())
        if token is None:
            raise ApiError(401, "invalid_token", "The API token is invalid or has been revoked.")
        request.api_token = token
        request.organization = token.organization
        request.is_org_admin = True
        return
    if not request.user.is_authenticated:
        raise ApiError(
            401,
            "authentication_required",
            "Sign in, or send an organization API token as 'Authorization: Bearer <token>'.",
        )
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            raise ApiError(403, "csrf_failed", "CSRF verification failed. Send the X-CSRFToken header.")
    membership = current_membership(request)
    if membership is None:
        raise ApiError(403, "no_organization", "You are not a member of any organization.")
    request.organization = membership.organization
    request.is_org_admin = membership.is_admin


def iso(value) -> str | None:
    """A datetime for JSON (ISO 8601), or None."""
    return value.isoformat() if value else None


def api_actor(request):
    """Who acts, for audit records: the signed-in user, or the API token by its last 4 characters."""
    return request.user if request.user.is_authenticated else f"API token …{request.api_token.last4}"


def api_view(methods: list[str], *, admin_methods: tuple[str, ...] | str = "all"):
    """Decorate a JSON view: only `methods`, authenticated, admins only for `admin_methods`."""

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        f"Use one of: {', '.join(methods)}.",
                        headers={"Allow": ", ".join(methods)},
                    )
                _authenticate(request)
                needs_admin = admin_methods == "all" or request.method in admin_methods
                if needs_admin and not request.is_org_admin:
                    raise ApiError(403, "forbidden", "Only organization admins can do this.")
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return exc.response()
            except Http404:
                return error(404, "not_found", "Not found.")
            except PermissionDenied:
                return error(403, "forbidden", "You do not have permission to do this.")

        return wrapper

    return decorator
