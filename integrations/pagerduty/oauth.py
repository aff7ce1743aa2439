"""Connect PagerDuty with OAuth 2.0, and keep its tokens fresh.

Where the OAuth app comes from:
- the organization's own app (a scoped app registered in its PagerDuty account; PagerDuty lets a
  scoped app work only on that account): Client ID + Secret pasted in the Connect dialog, stored
  encrypted on the connection;
- the operator's app: PAGERDUTY_OAUTH_ENABLED + PAGERDUTY_CLIENT_ID + PAGERDUTY_CLIENT_SECRET in
  the environment. Serving many PagerDuty accounts needs a Classic app, whose scope is `read`:
  the operator then sets PAGERDUTY_OAUTH_SCOPES=read (default: the scoped list).

The login: `oauth_login_start` stores a single-use pending login (hash of `state`, PKCE verifier
and client secret encrypted) and puts the state in the admin's session; `oauth_login_finish`
checks the state against both, exchanges the code at once (it lives 30 s), asks PagerDuty who
authorized it, and only then replaces the connection's credentials.

Refresh: `connection_refresh_tokens` claims the connection row (SELECT ... FOR UPDATE; the beat
task skips a row another worker holds) so one refresh token is never used twice, and saves the
new tokens in the same transaction. `invalid_grant` marks the connection needs_reauth.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from config import metrics
from integrations.connections import PendingLogins, SetupProblem, SignInError

from . import client as pd
from . import identity
from .credentials import DifferentAccount, apply_identity, check_same_account, identify
from .models import PROVIDER, PagerDutyConnection, PagerDutyOAuthLogin

log = logging.getLogger(__name__)

ORG_APP_SCOPES = ("openid", "schedules.read", "teams.read", "users.read", "oncalls.read")
REQUIRED_SCOPES = ("schedules.read", "users.read")
CLASSIC_SCOPES = ("read", "write")  # a Classic app's `read` covers every read endpoint
WRITE_OVERRIDES_SCOPE = "schedules.write"  # asked for when the admin lets Roster write cover requests
SESSION_KEY = "pagerduty_oauth_state"
CALLBACK_PATH = "/api/integrations/pagerduty/login/callback"

NOT_ENABLED = "PagerDuty OAuth is not enabled"
REVOKE_HELP = (
    "PagerDuty documents no endpoint to revoke OAuth tokens (Roster revokes them only if PagerDuty's "
    "identity service advertises one): to be sure Roster is cut off on PagerDuty's side too, open the "
    "app in PagerDuty (Integrations → App Registration) and click “Revoke All Tokens”."
)
REAUTH_HELP = "Click Refresh Connection to sign in to PagerDuty again."
NEW_APP_HELP = "Disconnect, then connect again with the app's current Client ID and Client Secret."


class OAuthNotAvailable(SetupProblem):
    pass


class OAuthLoginError(SignInError):
    pass


LOGINS = PendingLogins(
    model=PagerDutyOAuthLogin,
    error=OAuthLoginError,
    session_key=SESSION_KEY,
    provider="PagerDuty",
    flow="sign-in",
    origin="a login Roster started",
    again="Start again with Connect with OAuth.",
    expired_again="Start again.",
)


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    client_secret: str
    uses_operator_app: bool
    write_overrides: bool = False  # ask for the scope that writes schedule overrides (cover requests)

    @property
    def scopes(self) -> list[str]:
        return requested_scopes(operator=self.uses_operator_app, write_overrides=self.write_overrides)


# --- Configuration --------------------------------------------------------------------------------


def operator_app_problem() -> str:
    """Why the operator's app cannot be used ("" when it can).

    Said to an organization's admins, so it never names a server setting (the README does:
    PAGERDUTY_OAUTH_ENABLED, PAGERDUTY_CLIENT_ID, PAGERDUTY_CLIENT_SECRET)."""
    if not settings.PAGERDUTY_OAUTH_ENABLED:
        return f"{NOT_ENABLED}: your Roster operator hasn't enabled a shared PagerDuty app on this server."
    if not (settings.PAGERDUTY_CLIENT_ID and settings.PAGERDUTY_CLIENT_SECRET):
        return (
            f"{NOT_ENABLED}: your Roster operator hasn't finished setting up the shared PagerDuty app on this server."
        )
    return ""


def operator_app(*, write_overrides: bool = False) -> OAuthApp:
    problem = operator_app_problem()
    if problem:
        raise OAuthNotAvailable(problem)
    return OAuthApp(
        settings.PAGERDUTY_CLIENT_ID,
        settings.PAGERDUTY_CLIENT_SECRET,
        uses_operator_app=True,
        write_overrides=write_overrides,
    )


def organization_app(client_id: str, client_secret: str, *, write_overrides: bool = False) -> OAuthApp:
    return OAuthApp(client_id.strip(), client_secret.strip(), uses_operator_app=False, write_overrides=write_overrides)


def chosen_app(client_id: str, client_secret: str, *, write_overrides: bool = False) -> OAuthApp:
    """The Connect dialog's (or the JSON API's) choice: the organization's own app when given its
    Client ID, else the operator's."""
    if client_id:
        return organization_app(client_id, client_secret, write_overrides=write_overrides)
    return operator_app(write_overrides=write_overrides)


def app_for_connection(connection: PagerDutyConnection) -> OAuthApp:
    """The connection's app, asking again for what the grant has (writing overrides included)."""
    write_overrides = write_capability(connection.scope_list, overrides=True) == "yes"
    if connection.oauth_uses_operator_app:
        return operator_app(write_overrides=write_overrides)
    if not (connection.oauth_client_id and connection.oauth_client_secret):
        raise OAuthNotAvailable("This connection has no OAuth app credentials; disconnect and connect again.")
    return organization_app(connection.oauth_client_id, connection.oauth_client_secret, write_overrides=write_overrides)


def redirect_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}{CALLBACK_PATH}"


def requested_scopes(*, operator: bool, write_overrides: bool = False) -> list[str]:
    """The scopes a login asks for. Writing overrides adds `schedules.write`, or `write` for a
    Classic app (PagerDuty silently grants only `openid` for a scope an app does not know)."""
    scopes = settings.PAGERDUTY_OAUTH_SCOPES.split() if operator else list(ORG_APP_SCOPES)
    if write_overrides:
        extra = "write" if any(s in CLASSIC_SCOPES for s in scopes) else WRITE_OVERRIDES_SCOPE
        scopes += [] if extra in scopes else [extra]
    return scopes


def write_capability(scopes: list[str], *, overrides: bool = False) -> str:
    """May the grant create webhook subscriptions or, with `overrides`, write schedule overrides (cover
    requests)? "unknown" when PagerDuty reported no scopes."""
    if not scopes:
        return "unknown"
    granting = ("write", WRITE_OVERRIDES_SCOPE if overrides else "webhook_subscriptions.write")
    return "yes" if any(s in scopes for s in granting) else "no"


def missing_scopes(scopes: list[str]) -> list[str]:
    if any(s in scopes for s in CLASSIC_SCOPES):
        return []
    return [s for s in REQUIRED_SCOPES if s not in scopes]


# --- The login flow -------------------------------------------------------------------------------


def oauth_login_start(*, organization, app: OAuthApp, user=None, session=None, region: str = "us") -> str:
    """Record a pending login and return PagerDuty's authorize URL. With a session, bind the state to it."""
    state = secrets.token_urlsafe(32)
    verifier, challenge = identity.new_pkce_pair()
    url = identity.authorization_url(
        client_id=app.client_id, redirect_uri=redirect_url(), scopes=app.scopes, state=state, code_challenge=challenge
    )
    LOGINS.start(
        organization=organization,
        user=user,
        state=state,
        session=session,
        bound_to_session=session is not None,
        region=region,
        code_verifier=verifier,
        uses_operator_app=app.uses_operator_app,
        client_id=app.client_id,
        client_secret="" if app.uses_operator_app else app.client_secret,
    )
    return url


def _region_from_claims(claims: dict, default: str) -> str:
    region = str(claims.get("region") or "").lower()
    aud = str(claims.get("aud") or "")
    if region == "eu" or ".eu.pagerduty" in aud:
        return "eu"
    if region == "us":
        return "us"
    return default


# The error codes of RFC 6749 §4.1.2.1: anything else in `error` is shown as a generic failure.
AUTHORIZATION_ERRORS = {
    "invalid_request",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
}


def oauth_login_finish(*, organization, user, params, session) -> PagerDutyConnection:
    """Finish a login from PagerDuty's redirect. Raises OAuthLoginError, leaving any connection as it was.

    Anyone can send an admin's browser here with any parameters: the page shows only fixed text
    (never PagerDuty's `error_description`, which the link's author chooses), and a callback whose
    state is not the pending login of this session changes nothing, so it cannot cancel the login
    the admin is in the middle of."""
    state = params.get("state") or ""
    session_state = session.get(SESSION_KEY) if session is not None else None
    ours = bool(state and session_state) and hmac.compare_digest(str(session_state).encode(), state.encode())
    if ours:
        session.pop(SESSION_KEY, None)  # single use, whatever happens next
    if params.get("error"):
        if ours:  # the admin's own login came back refused: burn it
            LOGINS.burn(organization=organization, state=state, code_verifier="", client_secret="")
        error = params.get("error")
        if error == "access_denied":
            raise OAuthLoginError("PagerDuty access was denied.", code="access_denied")
        shown = f" ({error})" if error in AUTHORIZATION_ERRORS else ""
        raise OAuthLoginError(f"PagerDuty did not authorize Roster{shown}.", code="authorization_error")
    login = LOGINS.claim(organization=organization, user=user, state=state, session_state=session_state)
    try:
        return _finish_claimed_login(login, code=params.get("code") or "", actor=Actor.person(user))
    finally:
        PagerDutyOAuthLogin.objects.filter(pk=login.pk).update(code_verifier="", client_secret="")


def _finish_claimed_login(login: PagerDutyOAuthLogin, *, code: str, actor: Actor) -> PagerDutyConnection:
    if not code:
        raise LOGINS.missing_code()
    try:
        app = operator_app() if login.uses_operator_app else organization_app(login.client_id, login.client_secret)
    except OAuthNotAvailable as error:
        raise OAuthLoginError(error.message, code="oauth_not_available") from error
    try:
        tokens = identity.exchange_code(
            client_id=app.client_id,
            client_secret=app.client_secret,
            redirect_uri=redirect_url(),
            code=code,
            code_verifier=login.code_verifier,
        )
    except pd.PagerDutyError as error:
        raise OAuthLoginError(
            f"PagerDuty did not exchange the authorization code: {error.message}", code="exchange_failed"
        ) from error
    region = _region_from_claims(tokens.claims, login.region)
    try:
        found = identify(pd.PagerDutyClient.for_oauth_token(tokens.access_token, region=region))
    except pd.PagerDutyError as error:
        raise OAuthLoginError(
            f"PagerDuty issued a token, but Roster could not look up who authorized it: {error.message}",
            code="identity_failed",
        ) from error
    if not found.subdomain:
        found.subdomain = str(tokens.claims.get("subdomain") or "")
    organization = login.organization
    with transaction.atomic():
        connection = PagerDutyConnection.objects.select_for_update().filter(
            organization=organization
        ).first() or PagerDutyConnection(organization=organization)
        was = connection.auth_type if connection.pk else None
        if was is not None:
            # Switching or re-authorizing in place keeps every rotation's schedule: same account only.
            try:
                check_same_account(connection, subdomain=found.subdomain, region=region)
            except DifferentAccount as error:
                raise OAuthLoginError(error.reason, code=error.code) from error
        connection.auth_type = PagerDutyConnection.AuthType.OAUTH
        connection.region = region
        connection.api_key = connection.key_last4 = ""
        connection.oauth_uses_operator_app = app.uses_operator_app
        connection.oauth_client_id = app.client_id
        connection.oauth_client_secret = "" if app.uses_operator_app else app.client_secret
        _apply_tokens(connection, tokens)
        connection.scopes = " ".join(tokens.scopes)  # a new grant: no scope reported means none known
        connection.connected_by = actor.user if actor else None
        apply_identity(connection, found)
        connection.capabilities = {
            **connection.capabilities,
            "write": write_capability(connection.scope_list),
            "write_overrides": write_capability(connection.scope_list, overrides=True),
        }
        connection.save()
        missing = missing_scopes(connection.scope_list)
        audit_record(
            organization=organization,
            provider=PROVIDER,
            action="oauth_reauthorize" if was == PagerDutyConnection.AuthType.OAUTH else "oauth_connect",
            actor=actor,
            summary=(
                _LOGIN_VERBS.get(was or "", "Connected with OAuth")
                + f" as {connection.display_name}"
                + (f" (missing scopes: {', '.join(missing)})" if missing else "")
                + ("; rotations kept" if was == PagerDutyConnection.AuthType.API_KEY else "")
            ),
            detail={
                "auth_type": "oauth",
                "app": "operator" if app.uses_operator_app else "organization",
                "scopes": connection.scope_list,
                "region": region,
            },
        )
    connection.replaced_auth_type = was  # type: ignore[attr-defined]  # for the page's message only
    return connection


_LOGIN_VERBS = {"oauth": "Re-authorized with OAuth", "api_key": "Switched from a REST API key to OAuth"}


def _apply_tokens(connection: PagerDutyConnection, tokens: identity.TokenSet) -> None:
    connection.access_token = tokens.access_token
    if tokens.refresh_token:
        connection.refresh_token = tokens.refresh_token
    connection.token_expires_at = tokens.expires_at
    if tokens.scopes:  # a refresh that does not repeat the scope keeps the granted ones
        connection.scopes = " ".join(tokens.scopes)
    connection.last_refreshed_at = timezone.now()
    connection.last_refresh_result = PagerDutyConnection.RefreshResult.OK
    connection.last_refresh_error = ""


# --- Refresh --------------------------------------------------------------------------------------


def refresh_due(connection: PagerDutyConnection, *, now=None) -> bool:
    if connection.token_expires_at is None:
        return True
    margin = timedelta(seconds=settings.PAGERDUTY_OAUTH_REFRESH_MARGIN)
    return connection.token_expires_at <= (now or timezone.now()) + margin


def connection_refresh_tokens(
    *, connection_id: int, force: bool = False, seen_access_token: str | None = None, wait: bool = False
) -> str:
    """Refresh one connection's tokens. Returns what happened: "refreshed", "not_due", "skipped"
    (another worker holds the row, or it is gone), "already_refreshed" (the caller's token is no
    longer the current one), "needs_reauth", "refused" or "misconfigured" (the operator's app is
    gone from the environment). Transient failures are recorded, then raised.

    `wait=False` (beat) skips a row another worker is refreshing; `wait=True` (a call that met a 401)
    waits for it and then sees its fresh token via `seen_access_token`.
    """
    failure: pd.PagerDutyError | None = None
    with transaction.atomic():
        connection = (
            PagerDutyConnection.objects.select_for_update(skip_locked=not wait)
            .select_related("organization")
            .filter(pk=connection_id, auth_type=PagerDutyConnection.AuthType.OAUTH)
            .first()
        )
        if connection is None:
            return "skipped"
        if seen_access_token is not None and connection.access_token != seen_access_token:
            return "already_refreshed"
        if connection.status == PagerDutyConnection.Status.NEEDS_REAUTH or not connection.refresh_token:
            return "needs_reauth"
        if not force and not refresh_due(connection):
            return "not_due"
        try:
            app = app_for_connection(connection)
            tokens = identity.refresh(
                client_id=app.client_id, client_secret=app.client_secret, refresh_token=connection.refresh_token
            )
        except (identity.InvalidGrant, identity.InvalidClient) as error:
            _mark_needs_reauth(connection, error)
            return "refused"
        except OAuthNotAvailable as error:
            # The operator's app is missing from the environment (a bad deploy?): the refresh token
            # is still good, so keep it and try again on the next beat once the settings are back.
            _record_refresh_failure(connection, error.message)
            return "misconfigured"
        except pd.PagerDutyError as error:
            _record_refresh_failure(connection, error.stored_message)
            failure = error
        else:
            _apply_tokens(connection, tokens)
            connection.save()
            until = connection.token_expires_at
            audit_record(
                organization=connection.organization,
                provider=PROVIDER,
                action="oauth_refresh",
                summary="Refreshed the OAuth token" + (f" (valid until {until:%Y-%m-%d %H:%M} UTC)" if until else ""),
            )
    if failure is not None:
        raise failure
    return "refreshed"


def _record_refresh_failure(connection: PagerDutyConnection, message: str) -> None:
    metrics.OAUTH_REFRESH_FAILURES.labels(provider=PROVIDER).inc()
    connection.last_refreshed_at = timezone.now()  # the last attempt: the card says when it failed
    connection.last_refresh_result = PagerDutyConnection.RefreshResult.FAILED
    connection.last_refresh_error = message[:500]
    connection.save(update_fields=["last_refreshed_at", "last_refresh_result", "last_refresh_error", "updated_at"])


def _mark_needs_reauth(connection: PagerDutyConnection, error: identity.OAuthError) -> None:
    metrics.OAUTH_REFRESH_FAILURES.labels(provider=PROVIDER).inc()
    help_text = NEW_APP_HELP if isinstance(error, identity.InvalidClient) else REAUTH_HELP
    connection.status = PagerDutyConnection.Status.NEEDS_REAUTH
    connection.last_refreshed_at = timezone.now()
    connection.last_refresh_result = PagerDutyConnection.RefreshResult.REFUSED
    connection.last_refresh_error = error.message[:500]
    connection.last_error = f"{error.message} {help_text}"[:500]
    connection.last_error_at = timezone.now()
    connection.save()
    audit_record(
        organization=connection.organization,
        provider=PROVIDER,
        action="oauth_refresh_refused",
        summary="PagerDuty refused to refresh the OAuth token: needs re-authorization",
        detail={"error": getattr(error, "oauth_error", "") or getattr(error, "code", "")},
    )


def oauth_client_for(connection: PagerDutyConnection) -> pd.PagerDutyClient:
    """A client acting with the connection's access token. A 401 refreshes once and retries once;
    a token already past its expiry is refreshed before the first call."""
    if connection.token_expires_at and connection.token_expires_at <= timezone.now():
        _refresh_and_reload(connection)

    def on_unauthorized() -> str | None:
        return pd.bearer_auth(connection.access_token) if _refresh_and_reload(connection) else None

    return pd.PagerDutyClient.for_oauth_token(
        connection.access_token, region=connection.region, on_unauthorized=on_unauthorized
    )


def _refresh_and_reload(connection: PagerDutyConnection) -> bool:
    """Refresh (or pick up another worker's refresh) and reload `connection`. True if the token changed."""
    seen = connection.access_token
    connection_refresh_tokens(connection_id=connection.pk, force=True, seen_access_token=seen, wait=True)
    connection.refresh_from_db()
    return bool(connection.access_token) and connection.access_token != seen


# --- Disconnect (called by services.connection_disconnect) ---------------------------------------


DISCONNECT_WARNING = f"Roster deletes its OAuth tokens and client secret. {REVOKE_HELP}"


def revoke_on_disconnect(connection: PagerDutyConnection) -> str:
    """Revoke the tokens, best effort, if the identity service advertises a revocation endpoint (a
    network call: made before the disconnect locks the row). Returns the audit note: revoked only
    if every token was."""
    try:
        app = app_for_connection(connection)
    except OAuthNotAvailable:
        app = None
    tokens = [
        (t, hint)
        for t, hint in ((connection.refresh_token, "refresh_token"), (connection.access_token, "access_token"))
        if t
    ]
    endpoint = identity.revocation_endpoint() if app and tokens else ""
    if app and endpoint:
        # Every token is sent, even after one is refused.
        revoked = [
            identity.revoke(
                endpoint=endpoint, client_id=app.client_id, client_secret=app.client_secret, token=t, hint=hint
            )
            for t, hint in tokens
        ]
        if all(revoked):
            return "OAuth tokens revoked at PagerDuty and deleted"
    return "OAuth tokens deleted; revoke them in PagerDuty's App Registration"
