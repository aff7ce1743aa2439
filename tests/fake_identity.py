"""A fake PagerDuty identity service (OAuth 2.0) served by a FakePagerDuty on 127.0.0.1.

    identity = FakeIdentity.install(fake_pagerduty)   # adds /oauth/authorize and /oauth/token
    settings.PAGERDUTY_IDENTITY_URL = fake_pagerduty.url

The authorize page has Approve and Deny buttons; the token endpoint checks PKCE S256 and the
client credentials, issues tokens that the fake REST API accepts, rotates the refresh token on
every refresh, and counts how often each refresh token was presented (`refresh_uses`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from tests.fake_pagerduty import FakePagerDuty

USER = {"id": "PXPGF42", "name": "Earline Greenholt", "email": "earline@acme.example"}


def _form(request) -> dict:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class FakeIdentity:
    fake: FakePagerDuty
    client_id: str = "fake-client-id"
    client_secret: str = "fake-client-secret-NEVER-SHOW"
    scope: str = "openid schedules.read teams.read users.read"
    expires_in: int = 86400
    token_latency: float = 0.0  # seconds the token endpoint takes (widens races)
    codes: dict = field(default_factory=dict)  # code -> {challenge, redirect_uri, used}
    refresh_tokens: dict = field(default_factory=dict)  # refresh token -> still valid?
    refresh_uses: Counter = field(default_factory=Counter)
    refresh_started: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def install(cls, fake: FakePagerDuty, **kwargs) -> FakeIdentity:
        identity = cls(fake=fake, **kwargs)
        fake.route("GET", r"/oauth/authorize", identity.authorize_page)
        fake.route("POST", r"/oauth/decide", identity.decide)
        fake.route("POST", r"/oauth/token", identity.token)
        return identity

    def issue(self, scope: str = "") -> dict:
        """A new token pair; the access token is one the fake REST API accepts. `scope`: what the
        login asked for (PagerDuty grants an app's scopes as asked), else `self.scope`."""
        n = next(self._serial)
        access, refresh = f"pdus+fake-access-{n:04d}-{secrets.token_hex(4)}", f"pdus+fake-refresh-{n:04d}"
        self.fake.valid_keys[access] = USER
        self.refresh_tokens[refresh] = True
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": scope or self.scope,
        }

    # -- routes: (fake, request, match) -> (status, body[, headers]) --

    def authorize_page(self, fake, request, match):
        params = {k: request.param(k, "") for k in ("client_id", "redirect_uri", "state", "code_challenge", "scope")}
        if params["client_id"] != self.client_id or request.param("code_challenge_method") != "S256":
            return 400, b"<h1>Unknown app or missing PKCE</h1>", {"Content-Type": "text/html"}
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in params.items())
        page = (
            "<!doctype html><title>Authorize Roster</title><h1>Authorize Roster</h1>"
            f"<p>Roster asks for: {html.escape(params['scope'])}</p>"
            f'<form method="post" action="/oauth/decide">{hidden}'
            '<button name="decision" value="approve">Approve</button>'
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return 200, page.encode(), {"Content-Type": "text/html"}

    def decide(self, fake, request, match):
        form = _form(request)
        if form.get("decision") == "approve":
            code = secrets.token_urlsafe(12)
            self.codes[code] = {
                "challenge": form["code_challenge"],
                "redirect_uri": form["redirect_uri"],
                "scope": form.get("scope", ""),
                "used": False,
            }
            query = {"code": code, "state": form["state"]}
        else:
            query = {
                "error": "access_denied",
                "error_description": "The user denied the request",
                "state": form["state"],
            }
        return 302, b"", {"Location": f"{form['redirect_uri']}?{urlencode(query)}"}

    def token(self, fake, request, match):
        form = _form(request)
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "refresh_token":
            with self._lock:
                self.refresh_uses[form.get("refresh_token", "")] += 1  # counted on arrival: overlaps show
            self.refresh_started.set()
        if self.token_latency:
            time.sleep(self.token_latency)
        with self._lock:
            if form.get("grant_type") == "authorization_code":
                grant = self.codes.get(form.get("code", ""))
                if (
                    not grant
                    or grant["used"]
                    or grant["redirect_uri"] != form.get("redirect_uri")
                    or _s256(form.get("code_verifier", "")) != grant["challenge"]
                ):
                    return 400, {"error": "invalid_grant"}
                grant["used"] = True
                return 200, self.issue(grant["scope"])
            if form.get("grant_type") == "refresh_token":
                old = form.get("refresh_token", "")
                if not self.refresh_tokens.get(old):
                    return 400, {"error": "invalid_grant"}
                self.refresh_tokens[old] = False  # rotated: the old one dies
                return 200, self.issue()
        return 400, {"error": "unsupported_grant_type"}
