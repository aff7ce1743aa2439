"""A tiny JSON API layer shared by every app: authentication, JSON bodies and `{code, message}` errors.

Scripts authenticate with `Authorization: Bearer <organization API token>`; a browser session works
too (then unsafe methods need the CSRF token, as for any form). A token may do what its scope allows,
as each route declares (`api_view(..., scopes=...)`); a session user what their role allows.
"""

import functools
import json
import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from .access import current_membership
from .actor import Actor
from .models import ApiToken
from .services import TokenRefused, api_token_authenticate

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1  # the largest primary key any supported database stores


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


def rate_limited(message: str, retry_after: int, *, field: str = "request") -> ApiError:
    """A 429 `rate_limited` (config.limits refused): Retry-After, and the message under `errors[field]`."""
    return ApiError(
        429,
        "rate_limited",
        message,
        headers={"Retry-After": str(retry_after)},
        extra={"errors": {field: [message]}},
    )


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


def form_data(form_class, data: dict, fields: dict[str, str], **form_kwargs) -> dict:
    """Validate a JSON body with the page's own form, so a page and its API share one set of rules.

    `fields` maps JSON names to the form's field names; a JSON key that is absent (or null) is left to
    the form's own required/initial rules. A value that is not a string is refused. Errors are a 400
    `invalid_request` naming the JSON field, with every field's messages in `errors`."""
    values, errors = {}, {}
    for json_name, field_name in fields.items():
        value = data.get(json_name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[json_name] = [f"{json_name} must be a string."]
        else:
            values[field_name] = value
    form = form_class(values, **form_kwargs)
    if not form.is_valid() or errors:
        to_json = {field_name: json_name for json_name, field_name in fields.items()}
        for field_name, messages in form.errors.get_json_data().items():
            json_name = to_json.get(field_name, "request")
            if json_name not in errors:
                errors[json_name] = [_field_message(form, field_name, json_name, m) for m in messages]
        first = next(iter(errors.values()))[0]
        raise ApiError(400, "invalid_request", first, extra={"errors": errors})
    return form.cleaned_data


def _field_message(form, field_name: str, json_name: str, error: dict) -> str:
    field = form.fields.get(field_name)
    if error["code"] == "invalid_choice" and field is not None:
        allowed = ", ".join(sorted(str(value) for value, _ in field.choices if value != ""))
        return f"{json_name} must be one of: {allowed}."
    if error["code"] == "required":
        return f"{json_name} is required."
    return error["message"] if field_name == "__all__" else f"{json_name}: {error['message']}"


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
        try:
            token = api_token_authenticate(header.removeprefix("Bearer ").strip())
        except TokenRefused as refused:
            raise ApiError(401, refused.problem.code, refused.problem.message) from refused
        if token is None:
            raise ApiError(401, "invalid_token", "The API token is invalid or has been revoked.")
        request.api_token = token
        request.organization = token.organization
        request.is_org_admin = token.allows(ApiToken.Scope.ADMIN)  # what views show: a read token sees a member's view
        return
    if not request.user.is_authenticated:
        raise ApiError(
            401,
            "authentication_required",
            "Sign in, or send an organization API token as 'Authorization: Bearer <token>'.",
        )
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        rejected = CsrfViewMiddleware(_no_response).process_view(request, _no_response, (), {})
        if rejected is not None:
            raise ApiError(403, "csrf_failed", "CSRF verification failed. Send the X-CSRFToken header.")
    membership = current_membership(request)
    if membership is None:
        raise ApiError(403, "no_organization", "You are not a member of any organization.")
    request.organization = membership.organization
    request.is_org_admin = membership.is_admin


def _no_response(request):
    """CsrfViewMiddleware wants a next handler and a view; the check alone never calls them."""
    raise AssertionError("not called")


def iso(value) -> str | None:
    """A datetime for JSON (ISO 8601), or None."""
    return value.isoformat() if value else None


def api_actor(request) -> Actor:
    """Who acts, for audit records: the API token (by its last 4 characters), or the signed-in user."""
    return Actor.of_request(request)


def _check_scope(token: ApiToken, needed: str) -> None:
    if not token.allows(needed):
        raise ApiError(
            403,
            "insufficient_scope",
            f"This API token has the {token.scope} scope; this call needs {needed}. "
            f"Create a token with the {needed} scope in Settings → API tokens.",
            extra={"requiredScope": needed},
        )


def require_scope(request, needed: str) -> None:
    """Inside a view: a token needs `needed` for this part of the call (a key of the body that asks
    more than the method's scope, as a rotation's `slack` settings need admin). A 403
    `insufficient_scope` otherwise; a session user's role was checked by `api_view`."""
    token = getattr(request, "api_token", None)
    if token is not None:
        _check_scope(token, needed)


def api_view(methods: list[str], *, admin_methods: tuple[str, ...] | str = "all", scopes: dict[str, str] | None = None):
    """Decorate a JSON view: only `methods`, authenticated. Session users: admins only for
    `admin_methods`. API tokens: each method needs the scope `scopes` names for it ("read", "write"),
    and any method it does not name needs "admin": a route that forgets to declare stays admin-only."""
    scopes = scopes or {}
    unknown = set(scopes) - set(methods) or set(scopes.values()) - set(ApiToken.Scope.values)
    if unknown:
        raise ValueError(f"api_view scopes: unknown method or scope {sorted(unknown)}")
    token_scopes = {method: scopes.get(method, ApiToken.Scope.ADMIN) for method in methods}

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
                if getattr(request, "api_token", None) is not None:
                    _check_scope(request.api_token, token_scopes[request.method])
                elif (admin_methods == "all" or request.method in admin_methods) and not request.is_org_admin:
                    raise ApiError(403, "forbidden", "Only organization admins can do this.")
                if any(isinstance(v, int) and v > MAX_ID for v in kwargs.values()):
                    raise Http404  # no row has such an id; the database would refuse to compare it (a 500)
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return exc.response()
            except Http404:
                return error(404, "not_found", "Not found.")
            except PermissionDenied:
                return error(403, "forbidden", "You do not have permission to do this.")

        setattr(wrapper, "token_scopes", token_scopes)  # noqa: B010  (read by the tests that check every route)
        return wrapper

    return decorator
