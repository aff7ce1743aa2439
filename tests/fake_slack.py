"""A fake Slack Web API and OAuth server on 127.0.0.1 for tests, browser tests and benchmarks.

Shaped from Slack's documented responses, quirks included: an error is HTTP 200 with
`{"ok": false, "error": "<code>"}`; `usergroups.users.update` refuses an empty list; a topic over
250 characters is `too_long`; a bot that is not in a channel gets `not_in_channel`; a 429 carries
an integer `Retry-After` (inject one with `fail_next`). It records every call it saw (`calls`,
`log`) so a test can assert "exactly once".

    with FakeSlack() as fake:
        settings.SLACK_API_URL = fake.api_url           # http://127.0.0.1:<port>/api/
        settings.SLACK_AUTHORIZE_URL = fake.authorize_url

Its authorize page (`/oauth/v2/authorize`) shows "Allow" and "Cancel" and redirects back to the
`redirect_uri` with `code` + `state` (or `error=access_denied`), as Slack does.
"""

from __future__ import annotations

import base64
import html
import json
import math
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlparse

from tests.fake_http import QuietHandler, serve

ALL_SCOPES = (
    "usergroups:read,usergroups:write,users:read,users:read.email,chat:write,"
    "channels:read,groups:read,channels:write.topic,groups:write.topic,commands"
)
TRIGGER_TTL = 3.0  # seconds a trigger_id (from a command or a click) may open a modal


@dataclass
class FakeCall:
    method: str
    params: dict
    token: str
    at: float = field(default_factory=time.time)
    status: int = 0  # what the fake answered: 200, 429, ...
    ok: bool = False  # Slack's "ok"
    in_query: frozenset = frozenset()  # the names of the params sent in the URL (the rest came in the body)


# Slack's limits per method and workspace, enforced when `FakeSlack(rate_limits=True)`: a token
# bucket holding a minute's worth (Slack allows short bursts) refilled at the tier's rate, and for
# chat.postMessage one a second per channel with bursts of MESSAGE_BURST. Over them: HTTP 429,
# `{"ok": false, "error": "ratelimited"}` and an integer Retry-After, as Slack answers.
PER_MINUTE = {
    "auth.test": 100,
    "users.lookupByEmail": 50,
    "usergroups.list": 20,
    "usergroups.create": 20,
    "usergroups.users.update": 20,
    "usergroups.disable": 20,
    "usergroups.enable": 20,
    "conversations.list": 20,
    "conversations.info": 50,
    "conversations.setTopic": 20,
}
MESSAGE_BURST = 3


class _Bucket:
    def __init__(self, capacity: float, per_second: float):
        self.capacity, self.per_second = capacity, per_second
        self.tokens, self.at = capacity, time.monotonic()

    def take(self) -> float:
        """0 when a call may go now (and counts it), else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class FakeSlack:
    client_id: str = "1111.2222"
    client_secret: str = "fake-slack-client-secret"
    team_id: str = "T0ACME"
    team_name: str = "Acme Ops"
    bot_user_id: str = "U0ROSTER"
    bot_id: str = "B0ROSTER"
    app_id: str = "A0ROSTER"
    latency: float = 0.0
    # A free workspace has no user groups (paid_teams_only); in some, only Slack admins may change
    # them, so a bot's usergroups.create/update/disable/enable get permission_denied.
    paid_plan: bool = True
    groups_admins_only: bool = False
    # email → user id; only these people exist in the workspace
    users: dict = field(
        default_factory=lambda: {
            "ada@acme.example": "U0ADA",
            "grace@acme.example": "U0GRACE",
            "admin@acme.example": "U0ADM",
        }
    )
    calls: Counter = field(default_factory=Counter)
    log: list = field(default_factory=list)
    rate_limits: bool = False  # enforce Slack's tier limits (PER_MINUTE): 429 + Retry-After beyond them
    throttled: Counter = field(default_factory=Counter)  # 429s answered, per method

    def __post_init__(self):
        self._lock = threading.Lock()
        self.tokens: dict[str, dict] = {}  # token → {"scopes": [...], "revoked": bool, "team_id": str}
        self.uninstalled: list[str] = []  # the workspaces (team ids) apps.uninstall removed the app from
        self.codes: dict[str, dict] = {}  # code → {"redirect_uri", "scopes", "used"}
        self.usergroups: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}
        self.messages: list[dict] = []
        self.updates: list[dict] = []  # chat.update calls that changed a message
        self._injected: dict[str, list[tuple[int, dict, dict]]] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.triggers: dict[str, tuple[str, float]] = {}  # trigger_id → (user id, issued at)
        self.views: list[dict] = []  # modals opened: {"user", "view"}
        self.responses: list[dict] = []  # what was posted to response_urls: {"path", "body"}
        self.time_zones: dict[str, str] = {}  # user id → tz (users.info); default Europe/London
        self.add_channel("C0OPS", "ops", bot_member=True)
        self.add_channel("C0RANDOM", "random", bot_member=False)
        self.add_channel("G0PRIVATE", "incident-leads", private=True, bot_member=True)

    # -- configuration --

    def add_channel(self, channel_id: str, name: str, *, private: bool = False, bot_member: bool = True) -> dict:
        channel = {
            "id": channel_id,
            "name": name,
            "is_channel": not private,
            "is_group": private,
            "is_private": private,
            "is_archived": False,
            "is_member": bot_member,
            "topic": {"value": "", "creator": "", "last_set": 0},
        }
        self.channels[channel_id] = channel
        return channel

    def add_usergroup(self, group_id: str, name: str, handle: str, users: list[str] | None = None) -> dict:
        group = {
            "id": group_id,
            "team_id": self.team_id,
            "name": name,
            "handle": handle,
            "description": "",
            "date_delete": 0,
            "users": list(users or []),
            "user_count": len(users or []),
        }
        self.usergroups[group_id] = group
        return group

    def issue_token(self, scopes: str = ALL_SCOPES) -> str:
        token = "xoxb-fake-" + secrets.token_hex(12)
        self.tokens[token] = {"scopes": scopes.split(","), "revoked": False, "team_id": self.team_id}
        return token

    def revoke_all(self) -> None:
        """As if the app were removed from the workspace."""
        for info in self.tokens.values():
            info["revoked"] = True

    def fail_next(self, method: str, *, status: int = 200, body: dict | None = None, headers: dict | None = None):
        """The next call of `method` answers this instead (e.g. a 429 with Retry-After)."""
        self._injected.setdefault(method, []).append(
            (status, body or {"ok": False, "error": "ratelimited"}, headers or {})
        )

    def new_trigger(self, user_id: str) -> str:
        """A trigger_id as Slack sends with a command or a click (valid TRIGGER_TTL seconds)."""
        trigger = f"{int(time.time())}.{secrets.token_hex(6)}"
        self.triggers[trigger] = (user_id, time.monotonic())
        return trigger

    def new_response_url(self) -> str:
        """A response_url as Slack sends with a command or a click (posts land in `responses`)."""
        return f"{self.hooks_url}actions/{self.team_id}/{secrets.token_hex(6)}"

    def calls_of(self, method: str) -> list[FakeCall]:
        return [c for c in self.log if c.method == method]

    # -- serving --

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def hooks_url(self) -> str:
        """Where response_urls point (settings.SLACK_HOOKS_URL in tests)."""
        return f"{self.url}/hooks/"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/oauth/v2/authorize"

    def __enter__(self) -> FakeSlack:
        fake = self

        class Handler(QuietHandler):
            def _handle(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if parsed.path.startswith("/oauth/v2/authorize"):
                    status, page, headers = fake.authorize_page(parsed.path, parse_qs(parsed.query))
                    return self.reply(status, page.encode(), "text/html; charset=utf-8", headers)
                if parsed.path.startswith("/hooks/"):
                    with fake._lock:
                        fake.responses.append({"path": parsed.path, "body": json.loads(body or b"{}")})
                    return self.reply(200, b"ok", "text/html")
                if not parsed.path.startswith("/api/"):
                    return self.reply(404, b"not found", "text/plain")
                method = parsed.path.removeprefix("/api/")
                params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                in_query = frozenset(params)
                if "json" in (self.headers.get("Content-Type") or ""):
                    params.update(json.loads(body or b"{}"))
                else:
                    params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
                status, data, headers = fake.dispatch(
                    method, params, self.headers.get("Authorization") or "", in_query=in_query
                )
                self.reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers)

            do_GET = do_POST = _handle

        self._server = serve(Handler)
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # -- OAuth --

    def authorize_page(self, path: str, query: dict) -> tuple[int, str, dict]:
        q = {k: v[0] for k, v in query.items()}
        if q.get("client_id") != self.client_id:
            return 400, "<h1>Invalid client_id parameter</h1>", {}
        redirect_uri, state = q.get("redirect_uri", ""), q.get("state", "")
        if path.endswith("/decide"):
            if q.get("decision") == "allow":
                code = "fake-code-" + secrets.token_hex(8)
                self.codes[code] = {"redirect_uri": redirect_uri, "scopes": q.get("scope", ""), "used": False}
                back = {"code": code, "state": state}
            else:
                back = {"error": "access_denied", "state": state}
            return 302, "", {"Location": f"{redirect_uri}?{urlencode(back)}"}
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in q.get("scope", "").split(",") if s)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in q.items()
            if k in ("client_id", "scope", "redirect_uri", "state")
        )
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'><title>Slack</title></head><body>"
            f"<h1>Roster is requesting permission to access the {html.escape(self.team_name)} Slack workspace</h1>"
            f"<ul>{scopes}</ul>"
            f"<form method='get' action='/oauth/v2/authorize/decide'>{hidden}"
            "<button name='decision' value='allow'>Allow</button> "
            "<button name='decision' value='deny'>Cancel</button></form></body></html>"
        )
        return 200, page, {}

    # -- the Web API --

    def dispatch(
        self, method: str, params: dict, authorization: str, *, in_query: frozenset = frozenset()
    ) -> tuple[int, dict, dict]:
        if self.latency:
            time.sleep(self.latency)
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else ""
        with self._lock:
            self.calls[method] += 1
            call = FakeCall(method, dict(params), token, in_query=in_query)
            self.log.append(call)
            status, data, headers = self._answer(method, params, authorization, token)
            call.status, call.ok = status, bool(data.get("ok"))
            return status, data, headers

    def _over_limit(self, method: str, params: dict) -> float:
        if method == "chat.postMessage":
            key, capacity, per_second = (method, str(params.get("channel", ""))), MESSAGE_BURST, 1.0
        elif method in PER_MINUTE:
            key, capacity, per_second = (method, ""), PER_MINUTE[method], PER_MINUTE[method] / 60
        else:
            return 0.0
        bucket = self._buckets.get(key) or self._buckets.setdefault(key, _Bucket(capacity, per_second))
        return bucket.take()

    def _answer(self, method: str, params: dict, authorization: str, token: str) -> tuple[int, dict, dict]:
        injected = self._injected.get(method)
        if injected:
            return injected.pop(0)
        wait = self._over_limit(method, params) if self.rate_limits else 0.0
        if wait:
            self.throttled[method] += 1
            return 429, _err("ratelimited"), {"Retry-After": str(math.ceil(wait))}
        if method == "oauth.v2.access":
            return 200, self._oauth_v2_access(params, authorization), {}
        handler = _METHODS.get(method)
        if handler is None:
            return 200, _err("unknown_method"), {}
        if not token:
            return 200, _err("not_authed"), {}
        info = self.tokens.get(token)
        if info is None:
            return 200, _err("invalid_auth"), {}
        if info["revoked"]:
            return 200, _err("token_revoked"), {}
        needed = _SCOPES.get(method)
        if needed and not any(s in info["scopes"] for s in needed.split("|")):
            return (
                200,
                {**_err("missing_scope"), "needed": needed.split("|")[0], "provided": ",".join(info["scopes"])},
                {},
            )
        return 200, handler(self, params, token), {}

    def _oauth_v2_access(self, params: dict, authorization: str) -> dict:
        client_id, client_secret = params.get("client_id", ""), params.get("client_secret", "")
        if authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id:
            return _err("invalid_client_id")
        if client_secret != self.client_secret:
            return _err("bad_client_secret")
        grant = self.codes.get(params.get("code", ""))
        if grant is None or grant["used"]:
            return _err("invalid_code")
        grant["used"] = True
        if params.get("redirect_uri", "") != grant["redirect_uri"]:
            return _err("bad_redirect_uri")
        token = self.issue_token(grant["scopes"])
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": grant["scopes"],
            "bot_user_id": self.bot_user_id,
            "app_id": self.app_id,
            "team": {"name": self.team_name, "id": self.team_id},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U0ADM"},
        }


def _err(code: str) -> dict:
    return {"ok": False, "error": code}


def _auth_test(fake: FakeSlack, params: dict, token: str) -> dict:
    return {
        "ok": True,
        "url": "https://acme-ops.slack.com/",
        "team": fake.team_name,
        "user": "roster",
        "team_id": fake.team_id,
        "user_id": fake.bot_user_id,
        "bot_id": fake.bot_id,
        "is_enterprise_install": False,
    }


def _auth_revoke(fake: FakeSlack, params: dict, token: str) -> dict:
    if params.get("test") in ("1", "true", True):
        return {"ok": True, "revoked": False}
    fake.tokens[token]["revoked"] = True
    return {"ok": True, "revoked": True}


def _apps_uninstall(fake: FakeSlack, params: dict, token: str) -> dict:
    """Remove the app from the token's workspace: every token of the app there stops working."""
    if params.get("client_id") != fake.client_id:
        return _err("invalid_client_id")
    if params.get("client_secret") != fake.client_secret:
        return _err("bad_client_secret")
    team_id = fake.tokens[token]["team_id"]
    for info in fake.tokens.values():
        if info["team_id"] == team_id:
            info["revoked"] = True
    fake.uninstalled.append(team_id)
    return {"ok": True}


def _users_lookup_by_email(fake: FakeSlack, params: dict, token: str) -> dict:
    user_id = fake.users.get(str(params.get("email", "")).lower())
    if user_id is None:
        return _err("users_not_found")
    email = params["email"]
    return _user(fake, user_id, email, profile={"email": email, "real_name": email.split("@")[0].title()})


def _users_info(fake: FakeSlack, params: dict, token: str) -> dict:
    user_id = str(params.get("user", ""))
    email = next((e for e, u in fake.users.items() if u == user_id), None)
    if email is None:
        return _err("user_not_found")
    profile = {"real_name": email.split("@")[0].title(), "display_name": email.split("@")[0]}
    if "users:read.email" in fake.tokens[token]["scopes"]:
        profile["email"] = email
    return _user(fake, user_id, email, profile=profile, tz=fake.time_zones.get(user_id, "Europe/London"))


def _user(fake: FakeSlack, user_id: str, email: str, **fields) -> dict:
    """A users.* answer: the person `user_id`, whose Slack name is `email`'s local part, with `fields`."""
    name = email.split("@", maxsplit=1)[0]
    return {
        "ok": True,
        "user": {"id": user_id, "team_id": fake.team_id, "name": name, "deleted": False, "is_bot": False, **fields},
    }


def _views_open(fake: FakeSlack, params: dict, token: str) -> dict:
    trigger = fake.triggers.pop(str(params.get("trigger_id", "")), None)
    if trigger is None:
        return _err("invalid_trigger_id")
    user_id, issued = trigger
    if time.monotonic() - issued > TRIGGER_TTL:
        return _err("expired_trigger_id")
    view = params.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict) or view.get("type") != "modal" or len(view.get("title", {}).get("text", "")) > 24:
        return _err("invalid_arguments")
    opened = {**view, "id": f"V{len(fake.views) + 1:05d}", "team_id": fake.team_id}
    fake.views.append({"user": user_id, "view": opened})
    return {"ok": True, "view": opened}


def _usergroups_list(fake: FakeSlack, params: dict, token: str) -> dict:
    if not fake.paid_plan:
        return _err("plan_upgrade_required")
    groups = [
        g for g in fake.usergroups.values() if params.get("include_disabled") in ("1", "true") or not g["date_delete"]
    ]
    return {"ok": True, "usergroups": [{k: v for k, v in g.items() if k != "users"} for g in groups]}


def _group_write_refused(fake: FakeSlack) -> dict | None:
    if not fake.paid_plan:
        return _err("paid_teams_only")
    if fake.groups_admins_only:
        return _err("permission_denied")
    return None


def _usergroups_create(fake: FakeSlack, params: dict, token: str) -> dict:
    refused = _group_write_refused(fake)
    if refused:
        return refused
    name, handle = params.get("name", ""), params.get("handle", "")
    if any(g["name"] == name for g in fake.usergroups.values()):
        return _err("name_already_exists")
    taken = {g["handle"] for g in fake.usergroups.values()} | {c["name"] for c in fake.channels.values()}
    if handle in taken:
        return _err("handle_already_exists")
    group = fake.add_usergroup(f"S{len(fake.usergroups) + 1:05d}", name, handle)
    return {"ok": True, "usergroup": group}


def _writable_group(fake: FakeSlack, params: dict) -> dict:
    """The user group `params` names, or Slack's refusal (an `{"ok": false}` body) to change it."""
    refused = _group_write_refused(fake)
    if refused:
        return refused
    group = fake.usergroups.get(params.get("usergroup", ""))
    return _err("no_such_subteam") if group is None else group


def _usergroups_users_update(fake: FakeSlack, params: dict, token: str) -> dict:
    group = _writable_group(fake, params)
    if "ok" in group:  # refused
        return group
    users = [u for u in str(params.get("users", "")).split(",") if u]
    if not users:
        return _err("no_users_provided")
    if any(u not in fake.users.values() for u in users):
        return _err("invalid_users")
    group["users"], group["user_count"] = users, len(users)
    return {"ok": True, "usergroup": group}


def _usergroups_switch(enabled: bool):
    def switch(fake: FakeSlack, params: dict, token: str) -> dict:
        group = _writable_group(fake, params)
        if "ok" in group:  # refused
            return group
        group["date_delete"] = 0 if enabled else int(time.time())
        return {"ok": True, "usergroup": group}

    return switch


def _conversations_list(fake: FakeSlack, params: dict, token: str) -> dict:
    types = str(params.get("types") or "public_channel").split(",")
    wanted = [
        c
        for c in fake.channels.values()
        if ("private_channel" if c["is_private"] else "public_channel") in types and not c["is_archived"]
    ]
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or 100)
    page = wanted[start : start + limit]
    following = str(start + limit) if start + limit < len(wanted) else ""
    return {"ok": True, "channels": page, "response_metadata": {"next_cursor": following}}


def _channel_or_error(fake: FakeSlack, params: dict) -> dict | None:
    channel = fake.channels.get(params.get("channel", ""))
    if channel is None or (channel["is_private"] and not channel["is_member"]):
        return None
    return channel


def _conversations_info(fake: FakeSlack, params: dict, token: str) -> dict:
    channel = _channel_or_error(fake, params)
    return {"ok": True, "channel": channel} if channel else _err("channel_not_found")


def _conversations_set_topic(fake: FakeSlack, params: dict, token: str) -> dict:
    channel = _channel_or_error(fake, params)
    if channel is None:
        return _err("channel_not_found")
    if not channel["is_member"]:
        return _err("not_in_channel")
    topic = str(params.get("topic", ""))
    if len(topic) > 250:
        return _err("too_long")
    channel["topic"] = {"value": topic, "creator": fake.bot_user_id, "last_set": int(time.time())}
    return {"ok": True, "channel": channel}


def _chat_post_message(fake: FakeSlack, params: dict, token: str) -> dict:
    target = str(params.get("channel", ""))
    if target in fake.users.values():  # a user id: a direct message from the app
        channel_id = "D" + target[1:]
    else:
        channel = _channel_or_error(fake, params)
        if channel is None:
            return _err("channel_not_found")
        if not channel["is_member"]:
            return _err("not_in_channel")
        channel_id = channel["id"]
    ts = f"{time.time():.6f}"
    while any(m["ts"] == ts for m in fake.messages):  # unique per message, as Slack's
        ts = f"{float(ts) + 0.000001:.6f}"
    message = {"type": "message", "text": params.get("text", ""), "user": fake.bot_user_id, "ts": ts}
    if params.get("blocks"):
        message["blocks"] = _blocks(params["blocks"])
    fake.messages.append({"channel": channel_id, **message})
    return {"ok": True, "channel": channel_id, "ts": ts, "message": message}


def _blocks(value) -> list:
    """Blocks as Slack reads them: a JSON array (slack_sdk sends a form field's JSON text)."""
    return json.loads(value) if isinstance(value, str) else list(value)


def _chat_update(fake: FakeSlack, params: dict, token: str) -> dict:
    """Replace a message's text and blocks (blocks left out: kept; an empty list removes them, as Slack does)."""
    channel_id, ts = str(params.get("channel", "")), str(params.get("ts", ""))
    if channel_id.startswith("C") or channel_id.startswith("G"):
        channel = _channel_or_error(fake, params)
        if channel is None:
            return _err("channel_not_found")
    found = next((m for m in fake.messages if m["channel"] == channel_id and m["ts"] == ts), None)
    if found is None:
        return _err("message_not_found")
    if found.get("user") != fake.bot_user_id:
        return _err("cant_update_message")
    found["text"] = params.get("text", found.get("text", ""))
    blocks = _blocks(params["blocks"]) if "blocks" in params else found.get("blocks", [])
    if blocks:
        found["blocks"] = blocks
    else:
        found.pop("blocks", None)
    found["edited"] = {"user": fake.bot_user_id, "ts": f"{time.time():.6f}"}
    fake.updates.append({"channel": channel_id, "ts": ts, "text": found["text"], "blocks": blocks})
    return {"ok": True, "channel": channel_id, "ts": ts, "text": found["text"], "message": dict(found)}


_METHODS = {
    "auth.test": _auth_test,
    "users.info": _users_info,
    "views.open": _views_open,
    "auth.revoke": _auth_revoke,
    "apps.uninstall": _apps_uninstall,
    "users.lookupByEmail": _users_lookup_by_email,
    "usergroups.list": _usergroups_list,
    "usergroups.create": _usergroups_create,
    "usergroups.users.update": _usergroups_users_update,
    "usergroups.disable": _usergroups_switch(False),
    "usergroups.enable": _usergroups_switch(True),
    "conversations.list": _conversations_list,
    "conversations.info": _conversations_info,
    "conversations.setTopic": _conversations_set_topic,
    "chat.postMessage": _chat_post_message,
    "chat.update": _chat_update,
}
# The bot scope each method needs ("a|b": either).
_SCOPES = {
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.create": "usergroups:write",
    "usergroups.users.update": "usergroups:write",
    "usergroups.disable": "usergroups:write",
    "usergroups.enable": "usergroups:write",
    "conversations.list": "channels:read|groups:read",
    "conversations.info": "channels:read|groups:read",
    "conversations.setTopic": "channels:write.topic|groups:write.topic",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
}


class SlackSender:
    """Slack's side of the request URL: signed slash commands, button clicks, modal submissions and
    events, posted with a Django test client to Roster's {PUBLIC_BASE_URL}/integrations/slack/events/
    and signed as Slack signs (slack_sdk's SignatureVerifier, `v0:{timestamp}:{body}`).

        sender = SlackSender(client, fake, signing_secret=settings.SLACK_SIGNING_SECRET)
        sender.command("who")                      # /roster who, as Ada
        sender.click(cover_request.pk, user="U0GRACE")
    """

    path = "/integrations/slack/events/"

    def __init__(self, client, fake: FakeSlack, *, signing_secret: str, user: str = "U0ADA"):
        self.client, self.fake, self.signing_secret, self.user = client, fake, signing_secret, user

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str | None = None):
        from slack_sdk.signature import SignatureVerifier

        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret or self.signing_secret).generate_signature(timestamp=stamp, body=body)
        return self.client.post(
            self.path,
            data=body,
            content_type=content_type,
            headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature or ""},
        )

    def form(self, fields: dict, **kwargs):
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def command(self, text: str, *, user: str | None = None, team: str | None = None, **kwargs):
        """`/roster <text>` typed by `user`; the fake remembers its trigger_id and response_url."""
        user = user or self.user
        fields = {
            "token": "deprecated-verification-token",
            "team_id": team or self.fake.team_id,
            "team_domain": "acme-ops",
            "channel_id": "C0OPS",
            "channel_name": "ops",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/roster",
            "text": text,
            "api_app_id": self.fake.app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(),
            "trigger_id": self.fake.new_trigger(user),
        }
        return self.form(fields, **kwargs)

    def interaction(self, payload: dict, **kwargs):
        return self.form({"payload": json.dumps(payload)}, **kwargs)

    def click(self, value, *, action_id: str = "cover_take", user: str | None = None, team: str | None = None):
        """A button in a channel message clicked by `user`."""
        user = user or self.user
        return self.interaction(
            {
                "type": "block_actions",
                "team": {"id": team or self.fake.team_id, "domain": "acme-ops"},
                "user": {"id": user, "team_id": team or self.fake.team_id},
                "api_app_id": self.fake.app_id,
                "container": {"type": "message", "channel_id": "C0OPS", "message_ts": "1.000001"},
                "channel": {"id": "C0OPS", "name": "ops"},
                "trigger_id": self.fake.new_trigger(user),
                "response_url": self.fake.new_response_url(),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "cover",
                        "value": str(value),
                        "action_ts": f"{time.time():.6f}",
                    }
                ],
            }
        )

    def submit(self, view: dict, values: dict, *, user: str | None = None, team: str | None = None):
        """Submit a modal Roster opened (`view`, as the fake recorded it) with `values`:
        {block_id: value}, a value being a select's option value, a datetimepicker's datetime, or text;
        a block not named keeps what the modal preselected."""
        user = user or self.user
        state: dict = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            kind, given = element["type"], block["block_id"] in values
            value = values.get(block["block_id"])
            if kind == "static_select":
                chosen = next((o for o in element["options"] if o["value"] == str(value)), None)
                entry = {"type": kind, "selected_option": chosen if given else element.get("initial_option")}
            elif kind == "datetimepicker":
                stamp = (
                    (None if value is None else int(value.timestamp())) if given else element.get("initial_date_time")
                )
                entry = {"type": kind, "selected_date_time": stamp}
            else:
                entry = {"type": kind, "value": value if given else element.get("initial_value")}
            state[block["block_id"]] = {element["action_id"]: entry}
        return self.interaction(
            {
                "type": "view_submission",
                "team": {"id": team or self.fake.team_id, "domain": "acme-ops"},
                "user": {"id": user, "team_id": team or self.fake.team_id},
                "api_app_id": self.fake.app_id,
                "trigger_id": self.fake.new_trigger(user),
                "view": {**view, "state": {"values": state}},
            }
        )

    def event(self, payload: dict, **kwargs):
        return self.post(json.dumps(payload), "application/json", **kwargs)
