"""The JSON API shared by every app: one django-ninja `NinjaAPI` (`api`, mounted at /api/ by
config/urls.py, one `Router` per app in its `api.py`), its authentication, bodies and errors.

Each operation's pydantic schemas (`Schema`: camelCase keys, an unknown key refused) are at once its
validation, its serialization and its OpenAPI description, so /api/schema/ is generated from the code.
What every operation shares is here:

- authentication (`auth(scope)`): `Authorization: Bearer <organization API token>` within its scope,
  or a browser session (unsafe methods then need the CSRF token; admins only unless the scope is read);
- the error body `{code, message, errors?}` for every refusal: `ApiError` raised by a router, an
  invalid body (400 `invalid_request` naming each field: a wrong type, an unknown key, a NUL
  character), an id no row can have (404), 401, 403, 405;
- what every operation's description shares (the generic 400/401/403, and 404 when the path has an
  id), added by `RosterApi.get_openapi_schema`.

The description's own two pages (/api/schema/, /api/docs/) are plain Django views in api_docs.py.
"""

import contextlib
import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import URLPattern, URLResolver
from django.urls import path as django_path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import NinjaAPI, Router
from ninja import Schema as NinjaSchema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security.apikey import APIKeyCookie
from ninja.security.http import HttpBearer
from ninja.utils import normalize_path, replace_path_param_notation
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, StrictInt
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from .access import current_membership
from .actor import Actor, acting_user
from .models import ApiToken
from .numbers import whole
from .services import TokenRefused, api_token_authenticate

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1  # the largest primary key any supported database stores
T = TypeVar("T")


class ApiError(Exception):
    """The error body `{code, message, **extra}`; `field` names the body's field it is about (`errors`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = ({"errors": {field: [message]}} if field else {}) | (extra or {})

    @classmethod
    def of(cls, refusal: Any) -> "ApiError":
        """A service's refusal that carries its `status`, `code`, `message` and `field` (as JSON names it)."""
        return cls(refusal.status, refusal.code, refusal.message, field=refusal.field)

    @staticmethod
    @contextlib.contextmanager
    def instead_of(kind: type[Exception], answer: Callable[[Any], "ApiError"]) -> Iterator[None]:
        """Inside the block, a service's refusal of `kind` is raised as the API's `answer(refusal)`."""
        try:
            yield
        except kind as refusal:
            raise answer(refusal) from refusal

    def response(self) -> JsonResponse:
        response = JsonResponse({"code": self.code, "message": self.message, **self.extra}, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def rate_limited(message: str, retry_after: int, *, field: str = "request") -> ApiError:
    """A 429 `rate_limited` (config.limits refused): Retry-After, and the message under `errors[field]`."""
    return ApiError(429, "rate_limited", message, field=field, headers={"Retry-After": str(retry_after)})


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


def _no_response(request):
    """CsrfViewMiddleware wants a next handler and a view; the check alone never calls them."""
    raise AssertionError("not called")


def iso(value) -> str | None:
    """A datetime for JSON (ISO 8601), or None."""
    return value.isoformat() if value else None


def moment(name: str, raw: str, *, offset_required: bool = False) -> dt.datetime:
    """A request body's ISO 8601 date-time, in UTC, or a 400 naming the field `name`. Without a UTC
    offset it is read as UTC, unless `offset_required` (then it is refused)."""

    def refused(message: str) -> ApiError:
        return ApiError(400, "invalid_request", message, field=name)

    try:
        parsed = parse_datetime(raw.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise refused(f"{name} must be an ISO 8601 date-time, e.g. 2026-08-03T09:00:00+02:00.")
    if timezone.is_naive(parsed):
        if offset_required:
            raise refused(f"{name} needs its UTC offset (Z or +02:00).")
        parsed = timezone.make_aware(parsed, dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # the first or last moments of the calendar, shifted out of it by the offset
        raise refused(f"{name} must be a date between the years 2 and 9998.") from None


api_actor = Actor.of_request  # who acts, for audit records: the API token (…last4), or the signed-in user


def or_404(row: T | None, message: str = "Not found.") -> T:
    """`row`, or a 404 `not_found` saying `message` when a service found none (None)."""
    if row is None:
        raise ApiError(404, "not_found", message)
    return row


NO_PERSON = " An operator's API token acts for no person: 409 `no_person`."  # for an operation's description


def acting_person(request):
    """`acting_user`, or a 409 `no_person` for an operator's token (NO_PERSON in the description)."""
    user = acting_user(request)
    if user is None:
        raise ApiError(
            409, "no_person", "This API token was created by an operator and acts for no person: sign in instead."
        )
    return user


# -- django-ninja ---------------------------------------------------------------------------------

NUL_MESSAGE = "Text values may not contain NUL characters."


class Schema(BaseModel):
    """Every request and response body: camelCase keys (Python names work too), unknown keys refused.
    A plain pydantic model, not ninja's Schema: views answer with dicts (or objects, read by
    attribute), and ninja's per-object Django getter cost more than the rest of a large answer."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, from_attributes=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """A boolean is a JSON boolean: "yes", "true" or 1 is a 400 (pydantic's lax mode took them as true)."""
        lax = [
            f for f in cls.model_fields.values() if f.annotation in (bool, bool | None) and Strict() not in f.metadata
        ]
        for field in lax:
            field.metadata.append(Strict())
        if lax:
            cls.model_rebuild(force=True)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


# Text PostgreSQL can store: no NUL character (described as a pattern, so a client knows).
Text = Annotated[str, Field(pattern=r"^[^\x00]*$"), AfterValidator(_no_nul)]
# A moment as the API has always written it (`datetime.isoformat()`, e.g. 2026-01-05T09:00:00+00:00).
DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
# A row's id in a path: at most the largest key a database stores (beyond it: 404, as for any other id).
Id = Annotated[int, Field(ge=0, le=MAX_ID)]


def whole_number(*, ge: int | None = None, le: int | None = None) -> Any:
    """A whole number as JSON Schema's `type: integer` allows it (accounts.numbers): 20059 or 20059.0;
    never "20059", true or 1.5. `ge` and `le` are described as minimum and maximum."""
    return Annotated[StrictInt, Field(ge=ge, le=le), BeforeValidator(whole)]


WholeNumber = whole_number()


REFUSED = "refused:"  # the pydantic error type of a shaped() value's refusal, before its code


def shaped(
    described: dict, check: Callable[[Any], str | None] | str, *, code: str = "invalid_request", base=str
) -> Any:
    """A string whose shape the description states (`described`: pattern, maxLength, enum, format...)
    and `check` enforces: it returns the sentence a client reads when the value does not fit (a 400
    `code`, naming the field), or None. One rule, so what the description allows is accepted and
    what it forbids is refused. `check` may be that sentence alone: the rule is then `described`'s
    pattern (`^…$`)."""

    def problem_of(value) -> str | None:
        if isinstance(check, str):
            return None if re.fullmatch(described["pattern"][1:-1], value) else check
        return check(value)

    def validate(value):
        if isinstance(value, str):
            _no_nul(value)
        if (problem := problem_of(value)) is not None:  # `{name}` stays for _message to fill in
            raise PydanticCustomError(REFUSED + code, problem, {"name": "{name}"})
        return value

    return Annotated[base, Field(json_schema_extra=described), AfterValidator(validate)]


# An email address as Django's EmailValidator accepts it, in the shape a client can read (dot-atom
# local part; a host name with a top-level domain of letters), at most 254 characters (the column).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
EMAIL_MAX = 254


def email(message: str = "{name} must be an email address.") -> Any:
    """An email address (`message` when it is not one; `{value}` is replaced by the value)."""

    def check(value: str) -> str | None:
        if len(value) <= EMAIL_MAX and re.fullmatch(EMAIL_PATTERN[1:-1], value):
            return None
        return message.replace("{value}", value)

    # No `format: email`: a validator's idea of it differs from Django's; the pattern is the rule.
    return shaped({"pattern": EMAIL_PATTERN, "maxLength": EMAIL_MAX}, check)


class Error(NinjaSchema):
    """Every error. `code` is stable and machine-readable; `message` is for people. A refusal about a
    field of the body names it in `errors` (`{"timeZone": ["..."]}`); `insufficient_scope` adds
    `requiredScope`."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{"code": "invalid_request", "message": "…"}]}
    )

    code: str
    message: str
    errors: dict[str, list[str]] | None = None
    requiredScope: str | None = None  # noqa: N815 (the JSON name)


# -- authentication -------------------------------------------------------------------------------


class BearerToken(HttpBearer):
    """An organization API token (Settings → API tokens or `manage.py create_api_token <slug>`)."""

    openapi_description = (
        "An organization API token, created in Settings → API tokens or with `manage.py create_api_token <slug>`."
    )

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            found = api_token_authenticate(token)
        except TokenRefused as refused:
            raise ApiError(401, refused.problem.code, refused.problem.message) from refused
        if found is None:
            raise ApiError(401, "invalid_token", "The API token is invalid or has been revoked.")
        request.api_token = found  # type: ignore[attr-defined]
        request.organization = found.organization  # type: ignore[attr-defined]
        request.is_org_admin = found.allows(ApiToken.Scope.ADMIN)  # type: ignore[attr-defined]
        _check_scope(found, self.scope)
        return found


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
    """Inside an operation: a token needs `needed` for this part of the call (a key of the body that asks
    more than the operation's scope, as a rotation's `slack` settings need admin). A 403
    `insufficient_scope` otherwise; a session user's role was checked by the operation's `auth`."""
    token = getattr(request, "api_token", None)
    if token is not None:
        _check_scope(token, needed)


class Session(APIKeyCookie):
    """A signed-in browser session; POST, PATCH and DELETE also need `X-CSRFToken`."""

    param_name = "sessionid"
    openapi_description = "A signed-in browser session; POST, PATCH and DELETE also need `X-CSRFToken`."

    def __init__(self, admin: bool):
        super().__init__(csrf=False)
        self.admin = admin

    def __call__(self, request: HttpRequest) -> Any:
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
        request.organization = membership.organization  # type: ignore[attr-defined]
        request.is_org_admin = membership.is_admin  # type: ignore[attr-defined]
        if self.admin and not membership.is_admin:
            raise ApiError(403, "forbidden", "Only organization admins can do this.")
        return membership

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover (__call__ decides)
        return None


def auth(scope: str = ApiToken.Scope.ADMIN, *, admin: bool | None = None) -> list:
    """An operation's authentication: a token needs `scope` ("read", "write", "admin"; an operation
    that names none is admin-only); a session user must be an admin unless `admin=False` (the
    default: admins only unless the scope is read)."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"auth(): unknown scope {scope!r}")
    return [BearerToken(scope), Session(scope != ApiToken.Scope.READ if admin is None else admin)]


# -- bodies and errors ----------------------------------------------------------------------------


class JsonParser(Parser):
    """A JSON object; NUL characters (PostgreSQL cannot store them) and absurd nesting refused."""

    def parse_body(self, request: HttpRequest) -> dict:
        try:
            data = json.loads(request.body)
            has_nul = _has_nul(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc
        except RecursionError as exc:  # e.g. 200,000 "[": nested deeper than any request of ours
            raise ApiError(400, "invalid_json", "The request body is nested too deeply.") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        if has_nul:
            raise ApiError(400, "invalid_request", NUL_MESSAGE)
        return data


_TYPES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "time_type": "a time (HH:MM)",
    "time_parsing": "a time (HH:MM)",
    "datetime_type": "an ISO 8601 date-time",
    "datetime_parsing": "an ISO 8601 date-time",
    "datetime_from_date_parsing": "an ISO 8601 date-time",
}


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
        if parts and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts) or "request"


def _message(error: dict) -> tuple[str, str]:
    """(field, message) for one pydantic error, in words a script's author understands."""
    loc = tuple(error.get("loc", ()))
    name = _field_name(loc)
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        parent, _, key = name.rpartition(".")
        return name, f"{parent or 'The request body'} has no key “{key}”."
    if kind == "missing":
        if name == "request":
            return name, "Send a JSON object as the request body."
        return name, f"{name} is required."
    if kind in _TYPES:
        return name, f"{name} must be {_TYPES[kind]}."
    if kind in ("literal_error", "enum"):
        expected = (error.get("ctx") or {}).get("expected", "")
        return name, f"{name} must be one of: {expected.replace(' or ', ', ').replace(chr(39), '')}."
    if kind == "value_error":
        return name, str((error.get("ctx") or {}).get("error", error.get("msg", "")))
    if kind.startswith(REFUSED):  # shaped()
        return name, error.get("msg", "").replace("{name}", name)
    if kind == "string_pattern_mismatch" and "\\x00" in str((error.get("ctx") or {}).get("pattern", "")):
        return name, NUL_MESSAGE
    return name, f"{name}: {error.get('msg', 'invalid')}."


def _validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors):
        return ApiError(404, "not_found", "Not found.").response()  # an id no row can have
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        name, message = _message(error)
        errors.setdefault(name, []).append(message)
    first = next(iter(errors.values()))[0]
    kind = exc.errors[0].get("type", "")
    code = kind.removeprefix(REFUSED) if kind.startswith(REFUSED) else "invalid_request"
    return ApiError(400, code, first, extra={"errors": errors}).response()


def _api_error(request: HttpRequest, exc: Any) -> HttpResponse:
    return exc.response()


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    if isinstance(exc.__cause__, ApiError):  # the parser's refusal, wrapped by django-ninja
        return exc.__cause__.response()
    if exc.status_code == 400:
        return ApiError(400, "invalid_json", "The request body is not valid JSON.").response()
    if isinstance(exc, AuthenticationError):
        return ApiError(401, "authentication_required", "Sign in, or send an API token.").response()
    return ApiError(exc.status_code, "error", str(exc)).response()


# -- the API --------------------------------------------------------------------------------------

DESCRIPTION = (
    "Authenticate with a browser session (unsafe methods then need the `X-CSRFToken` header) or "
    "with `Authorization: Bearer <organization API token>` (Settings → API tokens; a token acts "
    "for its organization as an admin, within its scopes). Keys are camelCase; a request body with a "
    "key the description does not name is refused (400, naming it). Every error is "
    '`{"code", "message"}`, sometimes with more fields (`errors` naming the fields, `requiredScope`).'
)
SECURITY_NAMES = {"BearerToken": "bearerToken", "Session": "session"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
GENERIC_RESPONSES = {
    "BadRequest": (
        "400",
        "The request is malformed: invalid JSON, a value of the wrong type, an unknown key, a NUL "
        "character, a body nested too deeply (`invalid_json`, `invalid_request`, ...).",
        {"code": "invalid_request", "message": "The request body has no key “nmae”."},
    ),
    "Unauthorized": (
        "401",
        "No session and no valid API token (`authentication_required`, `invalid_token`, `token_expired`).",
        {"code": "invalid_token", "message": "The API token is invalid or has been revoked."},
    ),
    "Forbidden": (
        "403",
        "Authenticated but not allowed: members cannot do what only admins can (`forbidden`), a token "
        "outside its scopes (`insufficient_scope`, with `requiredScope`), a missing CSRF token "
        "(`csrf_failed`), no organization (`no_organization`).",
        {"code": "forbidden", "message": "Only organization admins can do this."},
    ),
    "NotFound": (
        "404",
        "Nothing with this id in your organization (`not_found`).",
        {"code": "not_found", "message": "Not found."},
    ),
}
METHODS = ("get", "post", "put", "patch", "delete")


class RosterApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        return describe(super().get_openapi_schema(path_prefix="api/"))

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """One URL per path (django-ninja makes one per operation), answering an unknown method with
        a JSON 405 and carrying `token_scopes` ({method: scope}) for the tests that check every route."""
        urls: list[URLResolver | URLPattern] = []
        for bound_router in self._get_bound_routers():
            prefix = replace_path_param_notation(bound_router.prefix)
            for path, path_view in bound_router.path_operations.items():
                route = normalize_path("/".join(i for i in (prefix, replace_path_param_notation(path)) if i))
                view = _json_405(path_view.get_view())
                scopes = {
                    method: callback.scope
                    for operation in path_view.operations
                    for method in operation.methods
                    for callback in operation.auth_callbacks
                    if isinstance(callback, BearerToken)
                }
                if scopes:  # not on a browser page (PagerDuty's OAuth redirect back)
                    view.token_scopes = scopes  # type: ignore[attr-defined]
                urls.append(django_path(route.lstrip("/"), view))
        return urls


def _json_405(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            answer = ApiError(405, "method_not_allowed", f"Use one of: {allowed}.", headers={"Allow": allowed})
            return answer.response()
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # the auth classes check CSRF
    return wrapper


def describe(generated: dict) -> dict:
    """The generated description, with what every operation shares and the apps' tags."""
    doc = json.loads(json.dumps(generated))  # a plain copy
    doc["info"]["description"] = DESCRIPTION
    doc["servers"] = [{"url": "/"}]
    doc["security"] = [{"bearerToken": []}, {"session": []}]
    components = doc.setdefault("components", {})
    schemes = components.get("securitySchemes", {})
    components["securitySchemes"] = {
        "bearerToken": {**schemes.get("BearerToken", {"type": "http", "scheme": "bearer"})},
        "session": {**schemes.get("Session", {"type": "apiKey", "in": "cookie", "name": "sessionid"})},
    }
    for scheme, text in (("bearerToken", BearerToken.openapi_description), ("session", Session.openapi_description)):
        components["securitySchemes"][scheme]["description"] = text
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(json.loads(json.dumps(COMPONENTS)))
    components["responses"] = {
        name: {
            "description": text,
            "content": {"application/json": {"schema": ERROR_REF, "example": example}}
            | ({"text/plain": {"schema": {"type": "string"}}} if status == "400" else {}),
        }
        for name, (status, text, example) in GENERIC_RESPONSES.items()
    }
    doc["tags"] = [dict(tag) for tag in TAGS]
    for path, _, operation in operations(doc):
        _body_is_an_object(operation)
        operation["security"] = [  # an empty entry ({}): it also answers without authentication
            {SECURITY_NAMES.get(name, name): scopes for name, scopes in entry.items()}
            for entry in operation.get("security", [])
        ]
        if not operation["security"]:
            continue
        responses = operation.setdefault("responses", {})
        for name, (status, _, _) in GENERIC_RESPONSES.items():
            if status != "404" or "{" in path:
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    doc["tags"].append(ABOUT_TAG)
    for path, item in ABOUT_PATHS.items():
        doc["paths"][path] = {method: {**operation, "tags": [ABOUT_TAG["name"]]} for method, operation in item.items()}
    return doc


def operations(doc: dict):
    """(path, method, operation) for every operation, in document order."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _body_is_an_object(operation: dict) -> None:
    """An optional body (`payload: X | None = None`) may be left out, but when sent it is an object:
    JSON `null` is refused like any other body that is not an object (JsonParser), so the description
    does not offer it."""
    body = operation.get("requestBody")
    if not body or body.get("required"):
        return
    for media in body.get("content", {}).values():
        options = media.get("schema", {}).get("anyOf", [])
        objects = [option for option in options if option != {"type": "null"}]
        if len(objects) == 1 and len(options) == 2:
            media["schema"] = objects[0]


# The description's own two pages (plain Django views in api_docs.py), described by hand.
ABOUT_TAG = {
    "name": "About the API",
    "description": "This description, as JSON and as a page. No authentication needed.",
}

ABOUT_PATHS = {
    "/api/schema/": {
        "get": {
            "operationId": "getApiSchema",
            "summary": "This description (OpenAPI 3.1, JSON)",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/docs/": {
        "get": {
            "operationId": "getApiDocs",
            "summary": "This description as a page",
            "security": [],
            "responses": {
                "200": {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}
            },
        }
    },
}


# Schemas of bodies that are not an operation's (the events Roster POSTs to outgoing webhooks).
COMPONENTS: dict[str, dict] = {}


def add_components(schemas: dict[str, dict]) -> None:
    """Add JSON schemas to the description's components (for bodies no operation has)."""
    COMPONENTS.update(schemas)


# (name, description) of each app's tag, in the order the docs page shows them.
TAGS: list[dict] = []


def router(tag: str, description: str) -> Router:
    """An app's router: its operations under one tag (shown on the docs page with its description),
    bodies answered with their camelCase names."""
    if all(t["name"] != tag for t in TAGS):
        TAGS.append({"name": tag, "description": description})
    return Router(tags=[tag], by_alias=True)


api = RosterApi(
    title="Roster JSON API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url=None,
    docs_url=None,
    parser=JsonParser(),
    auth=None,
)
api.add_exception_handler(ApiError, _api_error)
api.add_exception_handler(ValidationError, _validation_error)
api.add_exception_handler(HttpError, _http_error)
api.add_exception_handler(Http404, lambda request, exc: ApiError(404, "not_found", "Not found.").response())
api.add_exception_handler(
    PermissionDenied,
    lambda request, exc: ApiError(403, "forbidden", "You do not have permission to do this.").response(),
)


@functools.cache
def description() -> dict:
    """The whole description of the API (/api/schema/), generated once per process, with every app's
    router and the schemas it adds (outgoing's event schemas): loaded with the URLconf, which a
    process that has served nothing yet (a worker, a test) may not have read."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every app's api module)
    return api.get_openapi_schema()
