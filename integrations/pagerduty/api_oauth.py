"""JSON API: `POST /api/integrations/pagerduty/oauth/login` → {"authorizeUrl"} for a script or SPA.

With a browser session the state is bound to that session; with an organization API token it is
bound to the organization, and the callback then needs a signed-in admin of that organization.
"""

from django.http import JsonResponse

from accounts.api import ApiError, api_view, json_body

from . import client as pd
from . import oauth
from .api import REGIONS, api_error_for


@api_view(["POST"])
def oauth_login(request):
    data = json_body(request)
    client_id, client_secret = data.get("clientId") or "", data.get("clientSecret") or ""
    if not isinstance(client_id, str) or not isinstance(client_secret, str) or bool(client_id) != bool(client_secret):
        raise ApiError(400, "invalid_request", 'Send both "clientId" and "clientSecret" (your own app), or neither.')
    region = data.get("region") or "us"
    if not isinstance(region, str) or region not in REGIONS:
        raise ApiError(400, "invalid_request", f"region must be one of: {', '.join(sorted(REGIONS))}.")
    try:
        app = oauth.organization_app(client_id, client_secret) if client_id else oauth.operator_app()
        url = oauth.oauth_login_start(
            organization=request.organization,
            app=app,
            user=request.user if request.user.is_authenticated else None,
            session=request.session if request.user.is_authenticated else None,
            region=region,
        )
    except oauth.OAuthNotAvailable as error:
        raise ApiError(400, "oauth_not_available", error.message) from error
    except pd.PagerDutyError as error:
        raise api_error_for(error) from error
    return JsonResponse(
        {
            "authorizeUrl": url,
            "redirectUrl": oauth.redirect_url(),
            "scopes": app.scopes,
            "expiresInSeconds": int(oauth.LOGIN_TTL.total_seconds()),
        }
    )
