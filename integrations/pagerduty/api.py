"""JSON API for scripts: GET status, POST connect, PATCH rotate, DELETE disconnect."""

from django.http import JsonResponse

from accounts.api import ApiError, api_actor, api_view, form_data, iso, json_body
from integrations.api import connection_status_json, not_connected

from . import client as pd
from . import services
from .credentials import UNAUTHORIZED_HELP, DifferentAccount
from .forms import ApiKeyForm
from .models import PagerDutyConnection
from .oauth import missing_scopes
from .selectors import connection_health, get_connection


def api_error_for(error: pd.PagerDutyError) -> ApiError:
    """Map a PagerDuty failure to our API's status codes. PagerDuty's own 401 is not *our* 401."""
    if isinstance(error, pd.Unauthorized):
        return ApiError(400, "invalid_api_key", f"{error.message}. {UNAUTHORIZED_HELP}")
    if isinstance(error, pd.RateLimited):
        headers = {"Retry-After": str(int((error.retry_after or 60) + 0.999))}
        return ApiError(503, error.code, error.message + " Nothing was saved.", headers=headers)
    if isinstance(error, pd.Unavailable):
        return ApiError(502, error.code, error.message + " Nothing was saved.")
    return ApiError(400, error.code, error.message)


def status_json(organization) -> dict:
    """The connection's state as the JSON API shows it. Never a secret."""
    connection = get_connection(organization)
    if connection is None:
        return {"connected": False, "status": "not_connected", "health": connection_health(None).as_json()}
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
        health=connection_health(connection, organization=organization).as_json(),
    )
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


def _key_and_region(request) -> tuple[str, str | None]:
    """The key and region from the body, checked by the Connect dialog's own form (no region: None)."""
    data = json_body(request)
    body = {"token": data.get("token") or data.get("apiKey"), "region": data.get("region")}
    region_sent = body["region"] is not None
    cleaned = form_data(
        ApiKeyForm, body if region_sent else {**body, "region": "us"}, {"token": "api_key", "region": "region"}
    )
    return cleaned["api_key"], cleaned["region"] if region_sent else None


@api_view(["GET", "POST", "PATCH", "DELETE"])
def connection(request):
    org = request.organization
    actor = api_actor(request)
    if request.method == "GET":
        return JsonResponse(status_json(org))
    if request.method == "DELETE":
        if services.connection_disconnect(organization=org, actor=actor) is None:
            raise not_connected(services.NotConnected.message)
        return JsonResponse(status_json(org))
    token, region = _key_and_region(request)
    try:
        if request.method == "POST":
            if get_connection(org) is not None:
                raise ApiError(
                    409, "already_connected", "PagerDuty is already connected; PATCH to rotate the key or DELETE first."
                )
            services.connection_connect_api_key(organization=org, api_key=token, region=region or "us", actor=actor)
            return JsonResponse(status_json(org), status=201)
        services.connection_rotate_api_key(organization=org, api_key=token, region=region, actor=actor)
    except pd.PagerDutyError as error:
        raise api_error_for(error) from error
    except services.NotConnected as error:
        raise not_connected(error.message) from error
    except DifferentAccount as error:
        raise ApiError(409, error.code, error.message) from error
    return JsonResponse(status_json(org))
