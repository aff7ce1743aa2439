"""JSON API for scripts: GET status, POST connect, PATCH rotate, DELETE disconnect."""

from django.http import JsonResponse

from accounts.api import ApiError, api_actor, api_view, json_body

from . import client as pd
from . import services
from .models import PagerDutyConnection

REGIONS = {choice for choice, _ in PagerDutyConnection.Region.choices}


def api_error_for(error: pd.PagerDutyError) -> ApiError:
    """Map a PagerDuty failure to our API's status codes. PagerDuty's own 401 is not *our* 401."""
    if isinstance(error, pd.Unauthorized):
        return ApiError(400, "invalid_api_key", f"{error.message}. {services.UNAUTHORIZED_HELP}")
    if isinstance(error, pd.RateLimited):
        headers = {"Retry-After": str(int((error.retry_after or 60) + 0.999))}
        return ApiError(503, error.code, error.message + " Nothing was saved.", headers=headers)
    if isinstance(error, pd.Unavailable):
        return ApiError(502, error.code, error.message + " Nothing was saved.")
    return ApiError(400, error.code, error.message)


def _key_and_region(request) -> tuple[str, str | None]:
    data = json_body(request)
    token = data.get("token") or data.get("apiKey")
    if (
        not isinstance(token, str)
        or len(token.strip()) < 8
        or not token.strip().isascii()  # it travels in an HTTP header
        or any(c.isspace() for c in token.strip())
    ):
        raise ApiError(400, "invalid_request", 'Send {"token": "<PagerDuty REST API key>"}.')
    region = data.get("region")
    if region is not None and (not isinstance(region, str) or region not in REGIONS):
        raise ApiError(400, "invalid_request", f"region must be one of: {', '.join(sorted(REGIONS))}.")
    return token.strip(), region


@api_view(["GET", "POST", "PATCH", "DELETE"])
def connection(request):
    org = request.organization
    actor = api_actor(request)
    if request.method == "GET":
        return JsonResponse(services.connection_status(org))
    if request.method == "DELETE":
        if not services.connection_disconnect(organization=org, actor=actor):
            raise ApiError(404, "not_connected", services.NotConnected.message)
        return JsonResponse(services.connection_status(org))
    token, region = _key_and_region(request)
    try:
        if request.method == "POST":
            if services.get_connection(org) is not None:
                raise ApiError(
                    409, "already_connected", "PagerDuty is already connected; PATCH to rotate the key or DELETE first."
                )
            services.connection_connect_api_key(organization=org, api_key=token, region=region or "us", actor=actor)
            return JsonResponse(services.connection_status(org), status=201)
        services.connection_rotate_api_key(organization=org, api_key=token, region=region, actor=actor)
    except pd.PagerDutyError as error:
        raise api_error_for(error) from error
    except services.NotConnected as error:
        raise ApiError(404, "not_connected", error.message) from error
    return JsonResponse(services.connection_status(org))
