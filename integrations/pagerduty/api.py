"""JSON API for scripts: GET status, POST connect, PATCH rotate, DELETE disconnect, POST oauth/login
(→ {"authorizeUrl"} for a script or SPA), and PagerDuty's OAuth redirect back (a browser page).

An OAuth login started with a browser session is bound to that session; with an organization API
token it is bound to the organization, and the callback then needs a signed-in admin of it.
"""

import re
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.defaults import page_not_found, permission_denied
from ninja import Status
from pydantic import ConfigDict, Field

from accounts.api import ApiError, DateTime, Error, Schema, Text, api_actor, auth, form_data, iso, shaped
from accounts.api import router as api_router
from accounts.text import trimmed_pattern
from integrations.api import ConnectionStatus, connection_status_json, not_connected

from . import client as pd
from . import oauth, services, views_oauth
from .credentials import UNAUTHORIZED_HELP, DifferentAccount
from .forms import ApiKeyForm, OAuthConnectForm
from .models import PagerDutyConnection
from .oauth import missing_scopes
from .selectors import connection_health, get_connection

router = api_router("PagerDuty connection", "Connect PagerDuty with a REST API key or OAuth (admins).")

# Checked by the Connect dialog's own form (one set of rules for the page and the API); described here.
Region = Annotated[Text, Field(json_schema_extra={"enum": ["us", "eu"]})]


class ConnectionHealth(Schema):
    state: Literal["active", "degraded", "action_needed", "not_connected"]
    label: str = Field(description="As the card shows it: Active, Degraded, Action needed.")
    message: str | None
    action: str | None = Field(description="What an admin clicks on the card (action_needed only).")
    since: DateTime | None
    fixers: list[str] = Field(description="The admins who can fix it (action_needed only).")
    help: str | None = Field(description="How an admin fixes it, when there is more to say.")


class PagerDutyConnectionStatus(ConnectionStatus):
    status: Annotated[str, Field(json_schema_extra={"enum": ["not_connected", "active", "invalid", "needs_reauth"]})]
    display_name: str | None = None
    auth_type: Literal["api_key", "oauth"] | None = None
    region: Literal["us", "eu"] | None = None
    is_account_key: bool | None = None
    external_user_email: str | None = None
    external_user_name: str | None = None
    account_subdomain: str | None = None
    capabilities: dict[str, Any] | None = None
    key_last4: Annotated[str, Field(max_length=4)] | None = None
    health: ConnectionHealth | None = None
    oauth_app: Literal["operator", "organization"] | None = None
    scopes: list[str] | None = None
    missing_scopes: list[str] | None = None
    token_expires_at: DateTime | None = None
    last_refreshed_at: DateTime | None = None
    last_refresh_result: str | None = None


# A REST API key as the Connect dialog's form takes it: 8 to 200 printable ASCII characters, no space
# (spaces around it are trimmed).
API_KEY = trimmed_pattern(200, at_least=8, inside="[!-~]")


def _api_key_problem(value: str) -> str | None:
    if re.fullmatch(API_KEY[1:-1], value):
        return None
    key = value.strip()
    if any(char.isspace() for char in key):
        return "{name}: An API key has no spaces; paste only the key."
    if not (key.isascii() and key.isprintable()):
        return "{name}: An API key has only letters, digits and punctuation; paste only the key."
    if len(key) < 8:  # noqa: PLR2004 (the form's words)
        return f"{{name}}: Ensure this value has at least 8 characters (it has {len(key)})."
    return f"{{name}}: Ensure this value has at most 200 characters (it has {len(key)})."


ApiKey = shaped({"pattern": API_KEY}, _api_key_problem)


class ApiKeyRequest(Schema):
    """`token` (or `apiKey`, its older name) is required."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["token"]}, {"required": ["apiKey"]}]})

    token: ApiKey = Field(None, description="A PagerDuty REST API key (user or account).")  # type: ignore[valid-type]
    api_key: ApiKey = Field(  # type: ignore[valid-type]
        None, description="The same as `token` (older scripts).", json_schema_extra={"deprecated": True}
    )
    region: Region | None = Field(None, description="Default `us` when connecting.")


def _at_most(length: int) -> Any:
    """Text of at most `length` characters once trimmed (the Connect dialog's form trims it)."""
    return shaped({"pattern": trimmed_pattern(length)}, f"{{name}} can be at most {length} characters.")


class OAuthLoginRequest(Schema):
    client_id: _at_most(200) | None = None  # type: ignore[valid-type]
    client_secret: _at_most(500) | None = None  # type: ignore[valid-type]
    region: Region | None = None
    write_overrides: bool | None = Field(
        default=None, description="Also ask for `schedules.write`, so taken cover requests are written to PagerDuty."
    )


class OAuthLogin(Schema):
    authorize_url: str
    redirect_url: str
    scopes: list[str]
    expires_in_seconds: int


PAGERDUTY_DOWN: dict[int, Any] = {502: Error, 503: Error}
PAGERDUTY_DOWN_TEXT = (
    " PagerDuty refusing the credentials is a 409 (`invalid_api_key`, or PagerDuty's reason, e.g. "
    "`pagerduty_forbidden`). PagerDuty unreachable or answering with an error is a 502 (`unavailable`), rate-limiting the check a "
    "503 (`rate_limited`, `Retry-After` says when to retry); nothing is saved."
)


def api_error_for(error: pd.PagerDutyError) -> ApiError:
    """Map a PagerDuty failure to our API's status codes. PagerDuty's own 401 is not *our* 401."""
    if isinstance(error, pd.Unauthorized):  # PagerDuty refused the key: its state, not the request's shape
        return ApiError(409, "invalid_api_key", f"{error.message}. {UNAUTHORIZED_HELP}")
    if isinstance(error, pd.RateLimited):
        headers = {"Retry-After": str(int((error.retry_after or 60) + 0.999))}
        return ApiError(503, error.code, error.message + " Nothing was saved.", headers=headers)
    if isinstance(error, pd.Unavailable):
        return ApiError(502, error.code, error.message + " Nothing was saved.")
    return ApiError(409, error.code, error.message)  # PagerDuty refused (a permission, a plan, ...)


def status_json(organization) -> dict:
    """The connection's state as the JSON API shows it. Never a secret."""
    connection = get_connection(organization)
    if connection is None:
        return {"connected": False, "status": "not_connected", "health": connection_health(None).as_json()}
    health = connection_health(connection, organization=organization)
    data = connection_status_json(
        connection,
        displayName=connection.display_name,
        authType=connection.auth_type,
        region=connection.region,
        isAccountKey=connection.is_account_key,
        externalUserEmail=connection.external_user_email or None,
        externalUserName=connection.external_user_name or None,
        accountSubdomain=connection.account_subdomain or None,
        capabilities=connection.capabilities,
        keyLast4=connection.key_last4 or None,
        health=health.as_json(),
    )
    if health.help:  # `lastError` is the whole text an admin reads: the reason, then what to check
        data["lastError"] = f"{connection.last_error} {health.help}"
    if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        data |= {
            "oauthApp": "operator" if connection.oauth_uses_operator_app else "organization",
            "scopes": connection.scope_list,
            "missingScopes": missing_scopes(connection.scope_list),
            "tokenExpiresAt": iso(connection.token_expires_at),
            "lastRefreshedAt": iso(connection.last_refreshed_at),
            "lastRefreshResult": connection.last_refresh_result or None,
        }
    return data


def _key_and_region(payload: ApiKeyRequest) -> tuple[str, str | None]:
    """The key and region, checked by the Connect dialog's own form (no region: None)."""
    body = {"token": payload.token or payload.api_key, "region": payload.region}
    region_sent = payload.region is not None
    cleaned = form_data(
        ApiKeyForm, body if region_sent else {**body, "region": "us"}, {"token": "api_key", "region": "region"}
    )
    return cleaned["api_key"], cleaned["region"] if region_sent else None


@router.get(
    "/",
    response=PagerDutyConnectionStatus,
    exclude_unset=True,
    auth=auth(),
    operation_id="getPagerDutyConnection",
    summary="Connection status",
)
def connection(request):
    """Never a secret: the key shows as `keyLast4` only. OAuth connections add `oauthApp`, `scopes`,
    `missingScopes`, `tokenExpiresAt`, `lastRefreshedAt`, `lastRefreshResult`. `health` is the status
    the card shows: `active`; `degraded` (PagerDuty unreachable or rate-limiting: Roster retries by
    itself, nothing to do); `action_needed` (`action` names what an admin clicks in Settings →
    Integrations, `fixers` the admins who can); `not_connected`."""
    return status_json(request.organization)


@router.post(
    "/",
    response={201: PagerDutyConnectionStatus, 409: Error, **PAGERDUTY_DOWN},
    exclude_unset=True,
    auth=auth(),
    operation_id="connectPagerDuty",
    summary="Connect with a REST API key",
    description="The key is checked with PagerDuty before anything is saved. Already connected: 409 "
    "`already_connected` (PATCH to rotate the key or DELETE first; `different_account` when it was connected "
    "meanwhile to another PagerDuty account)." + PAGERDUTY_DOWN_TEXT,
)
def connect(request, payload: ApiKeyRequest):
    org = request.organization
    token, region = _key_and_region(payload)
    if get_connection(org) is not None:
        raise ApiError(
            409, "already_connected", "PagerDuty is already connected; PATCH to rotate the key or DELETE first."
        )
    try:
        services.connection_connect_api_key(
            organization=org, api_key=token, region=region or "us", actor=api_actor(request)
        )
    except pd.PagerDutyError as error:
        raise api_error_for(error) from error
    except DifferentAccount as error:  # another admin connected meanwhile
        raise ApiError(409, error.code, error.message) from error
    return Status(201, status_json(org))


@router.patch(
    "/",
    response={200: PagerDutyConnectionStatus, 404: Error, 409: Error, **PAGERDUTY_DOWN},
    exclude_unset=True,
    auth=auth(),
    operation_id="rotatePagerDutyKey",
    summary="Rotate the REST API key, or switch an OAuth connection to one",
    description="Replaces the credentials in place: on an OAuth connection this switches to the API key "
    "(Roster deletes its OAuth tokens). Every rotation keeps its PagerDuty schedule, so the key must belong "
    "to the connection's PagerDuty account (409 `different_account` otherwise; nothing is changed). The "
    "current credentials stay if PagerDuty refuses the new key. Not connected: 404 `not_connected`. To "
    "switch an API key connection to OAuth, start an OAuth login (`POST "
    "/api/integrations/pagerduty/oauth/login`): it replaces the key when the admin comes back, for the same "
    "account only." + PAGERDUTY_DOWN_TEXT,
)
def rotate(request, payload: ApiKeyRequest):
    org = request.organization
    token, region = _key_and_region(payload)
    try:
        services.connection_rotate_api_key(organization=org, api_key=token, region=region, actor=api_actor(request))
    except pd.PagerDutyError as error:
        raise api_error_for(error) from error
    except services.NotConnected as error:
        raise not_connected(error.message) from error
    except DifferentAccount as error:
        raise ApiError(409, error.code, error.message) from error
    return status_json(org)


@router.delete(
    "/",
    response={200: PagerDutyConnectionStatus, 404: Error},
    exclude_unset=True,
    auth=auth(),
    operation_id="disconnectPagerDuty",
    summary="Disconnect",
)
def disconnect(request):
    """Not connected: 404 `not_connected`."""
    org = request.organization
    if services.connection_disconnect(organization=org, actor=api_actor(request)) is None:
        raise not_connected(services.NotConnected.message)
    return status_json(org)


@router.post(
    "/oauth/login",
    response={200: OAuthLogin, 409: Error, 422: Error, **PAGERDUTY_DOWN},
    auth=auth(),
    operation_id="startPagerDutyOAuthLogin",
    summary="Start an OAuth login",
    description="With your own PagerDuty app (`clientId` and `clientSecret`) or, when both are omitted, the "
    "operator's (a server without one: 409 `oauth_not_available`; only one of the two: 422). Open `authorizeUrl` in a signed-in admin's browser before `expiresInSeconds` pass. On a "
    "connected organization the login replaces the credentials in place (switching from an API key, or "
    "re-authorizing) and rotations keep their schedules; a login to another PagerDuty account is refused "
    "and changes nothing." + PAGERDUTY_DOWN_TEXT,
)
def oauth_login(request, payload: OAuthLoginRequest | None = None):
    # The Connect dialog's own form; with neither Client ID nor Secret, the operator's app (if the
    # server has none, oauth.operator_app says why).
    sent = payload.model_dump(by_alias=True, exclude_none=True) if payload else {}
    write = bool(sent.pop("writeOverrides", False))
    if bool(sent.get("clientId", "").strip()) != bool(sent.get("clientSecret", "").strip()):  # two values: 422
        both = "Enter both the Client ID and the Client Secret of your PagerDuty app."
        raise ApiError(422, "invalid_request", both, field="request")
    cleaned = form_data(
        OAuthConnectForm,
        {"region": "us", **{k: v for k, v in sent.items() if v != ""}},
        {"clientId": "client_id", "clientSecret": "client_secret", "region": "region"},
        operator_app_ready=True,
    )
    client_id, client_secret, region = cleaned["client_id"], cleaned["client_secret"], cleaned["region"]
    try:
        app = oauth.chosen_app(client_id, client_secret, write_overrides=write)
        url = oauth.oauth_login_start(
            organization=request.organization,
            app=app,
            user=request.user if request.user.is_authenticated else None,
            session=request.session if request.user.is_authenticated else None,
            region=region,
        )
    except oauth.OAuthNotAvailable as error:
        raise ApiError(409, "oauth_not_available", error.message) from error  # the server's settings
    except pd.PagerDutyError as error:
        raise api_error_for(error) from error
    return OAuthLogin(
        authorize_url=url,
        redirect_url=oauth.redirect_url(),
        scopes=app.scopes,
        expires_in_seconds=int(oauth.LOGINS.ttl.total_seconds()),
    )


def _query(name: str, description: str) -> dict:
    # No NUL character (a URL with one is a 400 text/plain page, before any view).
    return {
        "name": name,
        "in": "query",
        "schema": {"type": "string", "pattern": r"^[^\x00]*$"},
        "description": description,
    }


def _page(description: str, media: str) -> dict:
    return {"description": description, "content": {media: {"schema": {"type": "string"}}}}


@router.get(
    "/login/callback",
    response={302: None},
    auth=None,
    operation_id="pagerDutyOAuthCallback",
    summary="OAuth redirect back (a browser page, not JSON)",
    description="PagerDuty sends the signed-in admin here; register "
    "`{PUBLIC_BASE_URL}/api/integrations/pagerduty/login/callback` in the PagerDuty app. It redirects to "
    "Settings → Integrations with the outcome, or to the sign-in page without a session.",
    openapi_extra={
        "security": [{"session": []}, {}],  # without a session: a redirect to the sign-in page
        "parameters": [
            _query("code", "From PagerDuty."),
            _query("state", "From PagerDuty."),
            _query("subdomain", "From PagerDuty."),
            _query("error", "When refused."),
        ],
        "responses": {
            "302": {"description": "To Settings → Integrations (with the outcome), or to sign in."},
            "400": _page("A NUL character in the URL.", "text/plain"),
            "403": _page("Not an admin.", "text/html"),
            "404": _page("No organization.", "text/html"),
        },
    },
)
def oauth_callback(request):
    # A page: the browser session, and Django's own 403 and 404 pages (not the API's JSON errors).
    try:
        return views_oauth.oauth_callback(request)
    except PermissionDenied as refused:
        return permission_denied(request, refused)
    except Http404 as missing:
        return page_not_found(request, missing)
