"""Helpers for OAuth tests: the identity service through `responses`, and ready-made OAuth connections."""

import base64
import hashlib
import json
from datetime import timedelta
from urllib.parse import parse_qs

import responses
from django.conf import settings
from django.utils import timezone

from tests.factories import PagerDutyConnectionFactory

CLIENT_ID = "org-app-client-id-7a1c"
CLIENT_SECRET = "org-app-secret-SHOULD-NEVER-SHOW-9f2e"
ACCESS = "pdus+access-token-NEVER-SHOW-0001"
REFRESH = "pdus+refresh-token-NEVER-SHOW-0001"
SCOPES = "openid schedules.read teams.read users.read"


def token_url() -> str:
    return f"{settings.PAGERDUTY_IDENTITY_URL}/oauth/token"


def id_token(**claims) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def token_body(*, access=ACCESS, refresh=REFRESH, scope=SCOPES, expires_in=86400, **claims) -> dict:
    body = {"access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": expires_in}
    if scope is not None:
        body["scope"] = scope
    body["id_token"] = id_token(user_id="PXPGF42", account_id="PACCT1", subdomain="acme", region="US", **claims)
    return body


def mock_token(rsps, status=200, **kwargs):
    body = kwargs.pop("body", None)
    if body is not None:
        rsps.add(responses.POST, token_url(), body=body, status=status)
    else:
        rsps.add(responses.POST, token_url(), json=kwargs.pop("json", None) or token_body(**kwargs), status=status)


def form_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def token_calls(rsps) -> list[dict]:
    return [form_of(c) for c in rsps.calls if c.request.url == token_url()]


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def make_oauth_connection(org, *, expires_in=timedelta(days=1), status="active", scopes=SCOPES, **fields):
    return PagerDutyConnectionFactory(
        organization=org,
        oauth=True,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        access_token=ACCESS,
        refresh_token=REFRESH,
        token_expires_at=timezone.now() + expires_in,
        scopes=scopes,
        status=status,
        external_user_name="Earline Greenholt",
        external_user_email="earline@acme.example",
        account_subdomain="acme",
        **fields,
    )
