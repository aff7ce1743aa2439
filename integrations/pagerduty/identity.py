"""HTTP to PagerDuty's identity service (OAuth 2.0): the authorize URL, the code exchange, refresh.

The REST API sibling is client.py; between them they are the only PagerDuty HTTP in Roster. This
module speaks through requests-oauthlib's `OAuth2Session` (PKCE S256, client credentials in the
form body as PagerDuty wants them), puts a timeout on every call, and turns every failure into
one of client.py's typed errors, so callers catch `pd.PagerDutyError` as everywhere else.

Never log a token, code, verifier or client secret: requests-oauthlib logs request bodies and
tokens at DEBUG, so its loggers are held at INFO here whatever the root level is.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError
from requests_oauthlib import OAuth2Session

from .client import TRY_AGAIN, PagerDutyError, Unavailable, unreachable

log = logging.getLogger(__name__)
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
DISCOVERY_PATH = "/.well-known/openid-configuration"
PKCE_METHOD = "S256"


class OAuthError(PagerDutyError):
    """The identity service refused a token request. `oauth_error` is its `error` code."""

    code = "pagerduty_oauth_error"
    permanent = True

    def __init__(self, message: str, *, oauth_error: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.oauth_error = oauth_error


class InvalidGrant(OAuthError):
    """The code or refresh token is dead (expired, used, revoked): only a new login helps."""

    code = "pagerduty_invalid_grant"


class InvalidClient(OAuthError):
    """PagerDuty does not know the client id/secret (app deleted or secret rotated)."""

    code = "pagerduty_invalid_client"


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scopes: list[str] = field(default_factory=list)
    claims: dict = field(default_factory=dict)  # id_token claims, NOT signature-verified


def identity_url(path: str) -> str:
    return f"{settings.PAGERDUTY_IDENTITY_URL}{path}"


def new_pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for PKCE S256, made by oauthlib."""
    client = WebApplicationClient(None)
    verifier = client.create_code_verifier(64)
    return verifier, client.create_code_challenge(verifier, PKCE_METHOD)


def authorization_url(*, client_id: str, redirect_uri: str, scopes: list[str], state: str, code_challenge: str) -> str:
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scopes)
    try:
        url, _ = session.authorization_url(
            identity_url(AUTHORIZE_PATH), state=state, code_challenge=code_challenge, code_challenge_method=PKCE_METHOD
        )
    except InsecureTransportError as exc:
        raise Unavailable("PAGERDUTY_IDENTITY_URL must use https.") from exc
    return url


def _session(client_id: str, redirect_uri: str | None = None) -> OAuth2Session:
    # scope=None: PagerDuty may grant fewer scopes than asked (even silently just `openid`); the
    # granted `scope` is read from the response instead of oauthlib raising "Scope has changed".
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=None)
    session.headers["User-Agent"] = "Roster/1.0 (+PagerDuty integration)"
    for hook in ("access_token_response", "refresh_token_response"):
        session.register_compliance_hook(hook, _raise_for_server_trouble)
    return session


def _raise_for_server_trouble(response):
    """5xx/429 and unreadable bodies are the service's trouble, not a refused grant."""
    if response.status_code == 429 or response.status_code >= 500:
        raise Unavailable(
            f"PagerDuty's sign-in service is having trouble (HTTP {response.status_code}).{TRY_AGAIN}",
            status=response.status_code,
        )
    try:
        response.json()
    except ValueError as exc:
        raise Unavailable(
            f"PagerDuty's sign-in service sent a response Roster could not read (HTTP {response.status_code}).",
            status=response.status_code,
        ) from exc
    return response


def _token_request(action: str, session_call, **params) -> TokenSet:
    """POST to the token endpoint with the session's `fetch_token` or `refresh_token`."""
    try:
        token = session_call(identity_url(TOKEN_PATH), timeout=(5, settings.PAGERDUTY_TIMEOUT), **params)
    except PagerDutyError:
        raise
    except requests.RequestException as exc:
        raise unreachable("PagerDuty's sign-in service", exc) from exc
    except InsecureTransportError as exc:
        raise Unavailable("PAGERDUTY_IDENTITY_URL must use https.") from exc
    except OAuth2Error as exc:
        error = getattr(exc, "error", "") or ""
        said = f" ({exc.description})" if getattr(exc, "description", None) else ""
        log.info("PagerDuty identity service refused %s: %s", action, error)
        if error == "invalid_grant":
            raise InvalidGrant(f"PagerDuty refused the {action} (invalid_grant){said}.", oauth_error=error) from exc
        if error in ("invalid_client", "unauthorized_client"):
            raise InvalidClient(
                f"PagerDuty refused the OAuth app's Client ID or Secret ({error}){said}.", oauth_error=error
            ) from exc
        raise OAuthError(f"PagerDuty refused the {action} ({error or 'no token'}){said}.", oauth_error=error) from exc
    return _token_set(token)


def exchange_code(*, client_id: str, client_secret: str, redirect_uri: str, code: str, code_verifier: str) -> TokenSet:
    """`grant_type=authorization_code` with PKCE. The code lives 30 seconds: call this at once."""
    return _token_request(
        "authorization code",
        _session(client_id, redirect_uri).fetch_token,
        client_secret=client_secret,
        code=code,
        code_verifier=code_verifier,
        include_client_id=True,
        headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
    )


def refresh(*, client_id: str, client_secret: str, refresh_token: str) -> TokenSet:
    """`grant_type=refresh_token`. PagerDuty answers with a NEW refresh token: never reuse the old one."""
    return _token_request(
        "token refresh",
        _session(client_id).refresh_token,
        client_secret=client_secret,
        refresh_token=refresh_token,
        client_id=client_id,
    )


def _token_set(token: dict) -> TokenSet:
    expires_in = token.get("expires_in")
    try:
        expires_at = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in is not None else None
    except (TypeError, ValueError):
        expires_at = None
    scope = token.get("scope") or []
    scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope]
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token") or "",
        expires_at=expires_at,
        scopes=scopes,
        claims=unverified_claims(token.get("id_token") or ""),
    )


def unverified_claims(id_token: str) -> dict:
    """The id_token's payload WITHOUT checking its signature: used only for display hints (subdomain,
    region). Who the connection acts as comes from `GET /users/me` with the access token."""
    try:
        payload = id_token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --- Revocation: PagerDuty documents none; used only if the identity service advertises one ------


def revocation_endpoint() -> str:
    """`revocation_endpoint` from the identity service's OpenID configuration, or "". Only an
    endpoint on the identity service itself is trusted with a token and the client secret."""
    try:
        response = requests.get(
            identity_url(DISCOVERY_PATH),
            headers={"Accept": "application/json"},
            timeout=(5, settings.PAGERDUTY_TIMEOUT),
        )
        data = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError):
        return ""
    endpoint = data.get("revocation_endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith(f"{settings.PAGERDUTY_IDENTITY_URL}/"):
        return ""
    return endpoint


def revoke(*, endpoint: str, client_id: str, client_secret: str, token: str, hint: str) -> bool:
    """RFC 7009 token revocation. True when the service answered 200."""
    try:
        response = requests.post(
            endpoint,
            data={"token": token, "token_type_hint": hint, "client_id": client_id, "client_secret": client_secret},
            headers={"Accept": "application/json"},
            timeout=(5, settings.PAGERDUTY_TIMEOUT),
        )
    except requests.RequestException:
        return False
    log.info("PagerDuty identity service answered a %s revocation with HTTP %s", hint, response.status_code)
    return response.status_code == 200
