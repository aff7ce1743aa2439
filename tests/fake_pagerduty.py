"""A fake PagerDuty REST API on 127.0.0.1 for browser tests, real-worker tests and benchmarks.

It speaks just enough of PagerDuty's API, with the documented response shapes, for Roster's
calls: `GET /oncalls` as PagerDuty's OpenAPI spec defines it (final on-call entries, overrides
included, of the schedules an escalation policy uses), and, when `rate_limit_per_minute` is set,
PagerDuty's per-key limit (a moving minute per API key or token: 429 with code 2020 above it and the
`ratelimit-*` headers on every answer). Schedules (tests/rotations/fake_schedules.py `install`) can be
changed at a given moment (`override`, `edit_layer`); `changes` remembers when each was made.
Extend it with `server.route("GET", r"/schedules/(?P<id>\\w+)", handler)`, where a handler
takes (fake, request, match) and returns (status, body_dict[, headers]).

    with FakePagerDuty() as fake:
        settings.PAGERDUTY_API_URL = fake.url
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"
PAGERDUTY_LIMIT = 960  # requests a minute per API key, per user, per OAuth app and account
RATE_LIMITED = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
ONCALLS_MAX_WINDOW = dt.timedelta(days=90)
ACCOUNT_LEVEL = "Because this request was made using an account-level access token, we were unable to determine the user's identity."


def _fixture(name: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)  # when it arrived (epoch seconds)
    status: int = 0  # what the fake answered

    def param(self, name: str, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"{}")

    @property
    def token(self) -> str:
        auth = self.headers.get("authorization", "")
        if auth.startswith("Token token="):
            return auth.removeprefix("Token token=")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        return ""


@dataclass
class FakePagerDuty:
    # API key or OAuth access token → the user it acts as (None = an account-level key)
    valid_keys: dict = field(
        default_factory=lambda: {
            "u+fakeUserKey0001": {"id": "PXPGF42", "name": "Earline Greenholt", "email": "earline@acme.example"}
        }
    )
    subdomain: str = "acme"
    latency: float = 0.0
    calls: Counter = field(default_factory=Counter)
    log: list = field(default_factory=list)
    # PagerDuty's per-key limit (requests a minute per API key / token); 0 = not enforced
    rate_limit_per_minute: int = 0
    throttled: Counter = field(default_factory=Counter)  # 429s answered, per token
    # Filled by tests/rotations/fake_schedules.py install(): id → FakeSchedule, id → (name, email)
    schedules: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    # escalation policy id → the schedule ids it references (only these appear in /oncalls)
    escalation_policies: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)  # Change, in the order they were made

    def __post_init__(self):
        self._routes: list[tuple[str, re.Pattern, object]] = []
        self._lock = threading.Lock()
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._timers: list[threading.Timer] = []
        self.route("GET", r"/users/me", _users_me)
        self.route("GET", r"/users", _users)
        self.route("GET", r"/schedules", _list_fixture("schedules", "schedules_list.json"))
        self.route("GET", r"/teams", _list_fixture("teams", "teams_list.json"))
        self.route("GET", r"/oncalls", _oncalls)

    # -- configuration --

    def route(self, method: str, pattern: str, handler) -> None:
        """Add (or override: the newest route wins) a handler for METHOD path."""
        self._routes.insert(0, (method, re.compile(f"^{pattern}$"), handler))

    def user_html_url(self, user_id: str) -> str:
        return f"https://{self.subdomain}.pagerduty.com/users/{user_id}"

    # -- changing schedules, as people do in PagerDuty --

    def override(self, schedule_id: str, start: dt.datetime, end: dt.datetime, user_id: str, *, at=None) -> Change:
        """An override: `user_id` is on call from `start` to `end` (the last one made wins)."""
        return self._change(Change(schedule_id, "override", start, end, user_id), at)

    def edit_layer(self, schedule_id: str, start: dt.datetime, end: dt.datetime, user_id: str, *, at=None) -> Change:
        """An edit to the schedule's layers: a new top layer puts `user_id` on call from `start` to
        `end` (overrides still win over it)."""
        return self._change(Change(schedule_id, "layer_edit", start, end, user_id), at)

    def _change(self, change: Change, at: float | None) -> Change:
        """Apply now, or at epoch second `at` (on a timer); `change.made_at` says when it was made."""
        if at is None or at <= time.time():
            self._apply(change)
        else:
            timer = threading.Timer(at - time.time(), self._apply, [change])
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return change

    def _apply(self, change: Change) -> None:
        schedule = self.schedules[change.schedule_id]
        with self._lock:
            target = schedule.overrides if change.kind == "override" else schedule.layer_edits
            target.append((change.start, change.end, change.user_id))
            change.made_at = time.time()
            self.changes.append(change)

    # -- PagerDuty's request limit --

    def _limit(self, request: FakeRequest) -> tuple[bool, dict]:
        """Count the request against its key's minute; (allowed, the ratelimit-* headers)."""
        if not self.rate_limit_per_minute:
            return True, {}
        item = RateLimitItemPerMinute(self.rate_limit_per_minute)
        key = request.token or "anonymous"
        allowed = self._limiter.hit(item, "pagerduty", key)
        reset_at, remaining = self._limiter.get_window_stats(item, "pagerduty", key)
        headers = {
            "ratelimit-limit": str(self.rate_limit_per_minute),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(max(1, round(reset_at - time.time()))),
        }
        if not allowed:
            with self._lock:
                self.throttled[key] += 1
        return allowed, headers

    # -- serving --

    def __enter__(self) -> FakePagerDuty:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(
                    method=self.command,
                    path=parsed.path,
                    query=parse_qs(parsed.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                status, body, headers = fake.dispatch(request)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        for timer in self._timers:
            timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def dispatch(self, request: FakeRequest):
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.calls[(request.method, request.path)] += 1
            self.log.append(request)
        allowed, limit_headers = self._limit(request)
        status, body, headers = (429, RATE_LIMITED, {}) if not allowed else self._route(request)
        request.status = status
        return status, body, {**headers, **limit_headers}

    def _route(self, request: FakeRequest):
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if method == request.method and match:
                result = handler(self, request, match)
                status, body = result[0], result[1]
                headers = dict(result[2]) if len(result) > 2 else {}
                return status, body, headers
        return 404, {"error": {"message": "Not Found", "code": 2100}}, {}

    def authorize(self, request: FakeRequest):
        """The user for the request's credentials, None for an account key, or raise Refused(401)."""
        if request.token not in self.valid_keys:
            raise Refused()
        return self.valid_keys[request.token]


class Refused(Exception):
    pass


@dataclass
class Change:
    """A change made to a schedule in the fake PagerDuty: from `start` to `end`, `user_id` is on call."""

    schedule_id: str
    kind: str  # "override" or "layer_edit"
    start: dt.datetime
    end: dt.datetime
    user_id: str
    made_at: float | None = None  # epoch seconds when it was made; None while it waits for its moment


def paint(turns: list, start: dt.datetime, end: dt.datetime, who) -> list:
    """Turns [(start, end, who)] with `who` on call from `start` to `end` over them (split as needed)."""
    result = []
    for s, e, person in turns:
        if e <= start or s >= end:
            result.append((s, e, person))
            continue
        if s < start:
            result.append((s, start, person))
        result.append((max(s, start), min(e, end), who))
        if end < e:
            result.append((end, e, person))
    return result


def _invalid(message: str) -> tuple[int, dict]:
    return 400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [message]}}


def _moment(raw: str | None, default: dt.datetime) -> dt.datetime | None:
    if not raw:
        return default
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _reference(fake, kind: str, id_: str, summary: str, plural: str) -> dict:
    return {
        "id": id_,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{plural}/{id_}",
        "html_url": f"https://{fake.subdomain}.pagerduty.com/{plural}/{id_}",
    }


def authenticated(handler):
    def wrapper(fake, request, match):
        try:
            user = fake.authorize(request)
        except Refused:
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}
        return handler(fake, request, match, user)

    return wrapper


@authenticated
def _users_me(fake, request, match, user):
    if user is None:
        return 400, {"error": ACCOUNT_LEVEL}
    body = _fixture("users_me.json")
    body["user"].update(
        id=user["id"],
        name=user["name"],
        summary=user["name"],
        email=user["email"],
        html_url=fake.user_html_url(user["id"]),
    )
    return 200, body


@authenticated
def _users(fake, request, match, user):
    body = _fixture("users_list.json")
    for item in body["users"]:
        item["html_url"] = fake.user_html_url(item["id"])
    return 200, body


def _list_fixture(key: str, name: str):
    @authenticated
    def handler(fake, request, match, user):
        return 200, _fixture(name)

    return handler


@authenticated
def _oncalls(fake, request, match, user):
    """GET /oncalls: the final on-call entries (layers and overrides applied) of the schedules the
    escalation policies use, overlapping [since, until] (default: now), paged by limit/offset."""
    try:
        limit, offset = int(request.param("limit", 25)), int(request.param("offset", 0))
    except ValueError:
        return _invalid("limit and offset must be integers")
    if not 1 <= limit <= 100 or offset < 0:
        return _invalid("limit must be between 1 and 100, offset at least 0")
    if offset + limit > 10_000:
        return _invalid("Offset + limit must be at most 10000; narrow the results with filters")
    now = dt.datetime.now(dt.UTC)
    since = _moment(request.param("since"), now)
    until = _moment(request.param("until"), since or now)
    if since is None or until is None:
        return _invalid("since and until must be ISO 8601 date-times")
    if until < since:
        return _invalid("until cannot be before since")
    if until - since > ONCALLS_MAX_WINDOW:
        return _invalid("The time range between since and until cannot be more than 90 days")
    wanted_schedules = set(request.query.get("schedule_ids[]", []))
    wanted_policies = set(request.query.get("escalation_policy_ids[]", []))
    wanted_users = set(request.query.get("user_ids[]", []))
    earliest = request.param("earliest") == "true"
    entries, seen = [], set()
    for policy_id in sorted(fake.escalation_policies):
        if wanted_policies and policy_id not in wanted_policies:
            continue
        for schedule_id in sorted(fake.escalation_policies[policy_id]):
            schedule = fake.schedules.get(schedule_id)
            if schedule is None or (wanted_schedules and schedule_id not in wanted_schedules):
                continue
            for start, end, uid in schedule.render(since, until + dt.timedelta(microseconds=1)):
                if uid is None or (wanted_users and uid not in wanted_users):
                    continue
                if not (end > since and (start < until or start <= since == until)):  # overlaps (or holds the instant)
                    continue
                if earliest:
                    if (policy_id, 1, uid) in seen:
                        continue
                    seen.add((policy_id, 1, uid))
                name = fake.users.get(uid, (uid, ""))[0]
                entries.append(
                    {
                        "user": _reference(fake, "user", uid, name, "users"),
                        "schedule": _reference(
                            fake, "schedule", schedule_id, schedule.name or schedule_id, "schedules"
                        ),
                        "escalation_policy": _reference(
                            fake, "escalation_policy", policy_id, f"Policy {policy_id}", "escalation_policies"
                        ),
                        "escalation_level": 1,
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                    }
                )
    page = entries[offset : offset + limit]
    more = offset + limit < len(entries)
    total = len(entries) if request.param("total") == "true" else None
    return 200, {"oncalls": page, "limit": limit, "offset": offset, "more": more, "total": total}
