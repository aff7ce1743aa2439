"""JSON API: `POST /api/integrations/pagerduty/oauth/login` → {"authorizeUrl"} for a script or SPA.

With a browser session the state is bound to that session; with an organization API token it is
bound to the organization, and the callback then needs a signed-in admin of that organization.
"""

from django.http import JsonResponse

from accounts.api import ApiError, api_view, form_data, json_body

from . import client as pd
from . import oauth
from .api import api_error_for
from .forms import OAuthConnectForm


@api_view(["POST"])
def oauth_login(request):
    # The Connect dialog's own form; with neither Client ID nor Secret, the operator's app (if the
    # server has none, oauth.operator_app says why).
    cleaned = form_data(
        OAuthConnectForm,
        {"region": "us", **{k: v for k, v in json_body(request).items() if v not in (None, "")}},
        {"clientId": "client_id", "clientSecret": "client_secret", "region": "region"},
        operator_app_ready=True,
    )
    client_id, client_secret, region = cleaned["client_id"], cleaned["client_secret"], cleaned["region"]
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
