"""A fake PagerDuty REST API on 127.0.0.1 for browser tests, real-worker tests and benchmarks.

It speaks just enough of PagerDuty's API, with the documented response shapes, for Roster's
calls: `GET /oncalls` as PagerDuty's OpenAPI spec defines it (final on-call entries, overrides
included, of the schedules an escalation policy uses), and, when `rate_limit_per_minute` is set,
PagerDuty's per-key limit (a moving minute per API key or token: 429 with code 2020 above it and the
`ratelimit-*` headers on every answer). Schedules (tests/rotations/fake_schedules.py `install`) can be
changed at a given moment (`override`, `edit_layer`); `changes` remembers when each was made.
Overrides can also be listed, created and removed through the API, classic
(`/schedules/{id}/overrides`) and shift-based (`/v3/schedules/{id}/overrides`), with PagerDuty's
rules: a past override cannot be removed, one in progress is cut at `now()`; a key in
`read_only_keys` gets 403 on every write. Account-wide webhook subscriptions can be created (the
answer carries the signing secret, as PagerDuty's does once), listed, read, updated (PUT) and deleted
(`webhook_subscriptions`: id → subscription, secret included).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from tests.fake_http import QuietHandler, serve

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
    read_only_keys: set = field(default_factory=set)  # valid keys whose writes PagerDuty refuses (403)
    webhook_subscriptions: dict = field(default_factory=dict)  # id → subscription (with its secret)
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))  # PagerDuty's clock

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
        for prefix in ("", "/v3"):
            self.route("GET", prefix + r"/schedules/(?P<id>\w+)/overrides", _overrides_list)
            self.route("POST", prefix + r"/schedules/(?P<id>\w+)/overrides", _overrides_create)
            self.route("DELETE", prefix + r"/schedules/(?P<id>\w+)/overrides/(?P<override_id>\w+)", _override_delete)
        self.route("GET", r"/v3/schedules/(?P<id>\w+)/overrides/(?P<override_id>\w+)", _override_v3_get)
        self.route("PUT", r"/v3/schedules/(?P<id>\w+)/overrides/(?P<override_id>\w+)", _override_v3_update)
        self.route("GET", r"/webhook_subscriptions", _subscriptions_list)
        self.route("POST", r"/webhook_subscriptions", _subscription_create)
        self.route("GET", r"/webhook_subscriptions/(?P<id>\w+)", _subscription_get)
        self.route("PUT", r"/webhook_subscriptions/(?P<id>\w+)", _subscription_update)
        self.route("DELETE", r"/webhook_subscriptions/(?P<id>\w+)", _subscription_delete)

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
            change.entry = (change.start, change.end, change.user_id)
            target.append(change.entry)
            change.made_at = time.time()
            change.id = f"Q{len(self.changes) + 1:06d}"
            self.changes.append(change)

    def overrides_of(self, schedule_id: str) -> list[Change]:
        """The schedule's overrides that still stand, in the order made."""
        return [c for c in self.changes if c.kind == "override" and c.schedule_id == schedule_id and not c.removed]

    def remove_override(self, change: Change) -> str:
        """PagerDuty's rules: "past" (ended: kept), "cut" (in progress: now ends now) or "deleted"."""
        now = self.now()
        if change.end <= now:
            return "past"
        entries = self.schedules[change.schedule_id].overrides
        with self._lock:
            index = next(i for i, e in enumerate(entries) if e is change.entry)
            if change.start < now:
                change.end = now
                change.entry = entries[index] = (change.start, now, change.user_id)
                return "cut"
            del entries[index]
            change.removed = True
            return "deleted"

    def update_override(self, change: Change, start: dt.datetime, end: dt.datetime, user_id: str) -> None:
        entries = self.schedules[change.schedule_id].overrides
        with self._lock:
            index = next(i for i, e in enumerate(entries) if e is change.entry)
            change.start, change.end, change.user_id = start, end, user_id
            change.entry = entries[index] = (start, end, user_id)

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

        class Handler(QuietHandler):
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
                self.reply(status, payload, headers.pop("Content-Type", "application/json"), headers)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = serve(Handler)
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
    id: str = ""  # PagerDuty's id for it, once made
    removed: bool = False  # an override deleted through the API
    entry: tuple | None = None  # what it painted on the schedule
    # shift-based overrides: the shift replaced and who was on call in it
    rotation_id: str = ""
    custom_shift_id: str = ""
    overridden_user_id: str = ""


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


# --- overrides: classic /schedules/{id}/overrides and shift-based /v3/schedules/{id}/overrides ---

ACCESS_DENIED = {"error": {"message": "Access Denied", "code": 2010, "errors": ["This API key is read-only."]}}


def _v3_invalid(field: str, message: str) -> tuple[int, dict]:
    return 400, {"error": {"message": "Invalid Request", "code": 2001, "errors": {field: [message]}}}


def _override_schedule(fake, request, match):
    """(schedule, is_v3) for an override URL, or (None, PagerDuty's answer)."""
    schedule = fake.schedules.get(match["id"])
    v3 = request.path.startswith("/v3/")
    if schedule is None:
        return None, (404, {"error": {"message": "Not Found", "code": 2100}})
    if (getattr(schedule, "kind", "v2") == "v3") != v3:
        return None, _invalid("This schedule is not a v3 schedule." if not v3 else "This schedule is a v2 schedule.")
    return schedule, v3


def writes(handler):
    """An endpoint that changes the account: a read-only key gets PagerDuty's 403."""

    @authenticated
    def wrapper(fake, request, match, user):
        if request.token in fake.read_only_keys:
            return 403, ACCESS_DENIED
        schedule, found = _override_schedule(fake, request, match)
        if schedule is None:
            return found
        return handler(fake, request, match, schedule, found)

    return wrapper


def _find_override(fake, match):
    return next((c for c in fake.overrides_of(match["id"]) if c.id == match["override_id"]), None)


def _override_body(fake, change: Change, schedule, v3: bool) -> dict:
    zone = ZoneInfo(getattr(schedule, "time_zone", "") or "UTC")  # PagerDuty answers in the schedule's zone
    start, end = change.start.astimezone(zone).isoformat(), change.end.astimezone(zone).isoformat()
    if not v3:
        name = fake.users.get(change.user_id, (change.user_id, ""))[0]
        return {
            "id": change.id,
            "start": start,
            "end": end,
            "user": _reference(fake, "user", change.user_id, name, "users"),
        }
    shift = {"rotation_id": change.rotation_id} if change.rotation_id else {"custom_shift_id": change.custom_shift_id}
    return {
        "id": change.id,
        "type": "override_shift",
        **shift,
        "start_time": start,
        "end_time": end,
        "overridden_member": {"type": "user_member", "user_id": change.overridden_user_id},
        "overriding_member": {"type": "user_member", "user_id": change.user_id},
        "self": f"https://api.pagerduty.com/v3/schedules/{change.schedule_id}/overrides/{change.id}",
    }


@authenticated
def _overrides_list(fake, request, match, user):
    """The overrides overlapping [since, until] (both required), clipped to it unless overflow=true."""
    schedule, v3 = _override_schedule(fake, request, match)
    if schedule is None:
        return v3
    since, until = _moment(request.param("since"), None), _moment(request.param("until"), None)
    if since is None or until is None:
        return _invalid("since and until are required ISO 8601 date-times")
    overflow = request.param("overflow") == "true"
    found = []
    for change in fake.overrides_of(match["id"]):
        if change.end <= since or change.start >= until:
            continue
        shown = (
            change
            if overflow
            else Change(**{**change.__dict__, "start": max(change.start, since), "end": min(change.end, until)})
        )
        found.append(_override_body(fake, shown, schedule, v3))
    if not v3:
        return 200, {"overrides": found}
    limit, offset = int(request.param("limit", 25)), int(request.param("offset", 0))
    return 200, {
        "overrides": found[offset : offset + limit],
        "limit": limit,
        "offset": offset,
        "more": offset + limit < len(found),
    }


def _override_times(item: dict, start_key: str, end_key: str):
    start = _moment(item.get(start_key), None) if isinstance(item.get(start_key), str) else None
    end = _moment(item.get(end_key), None) if isinstance(item.get(end_key), str) else None
    return start, end


@writes
def _overrides_create(fake, request, match, schedule, v3):
    body = request.json()
    if not v3:
        single = "override" in body and "overrides" not in body  # the deprecated form
        results = []
        for item in [body["override"]] if single else body.get("overrides") or []:
            start, end = _override_times(item, "start", "end")
            user_id = (item.get("user") or {}).get("id")
            errors = (
                ["Start and end must be ISO 8601 date-times"]
                if start is None or end is None
                else ["Override must end after its start"]
                if end <= start
                else ["User cannot be found"]
                if user_id not in fake.users
                else []
            )
            if errors:
                results.append({"status": 400, "errors": errors, "override": item})
                continue
            change = fake.override(match["id"], start, end, user_id)
            results.append({"status": 201, "override": _override_body(fake, change, schedule, False)})
        if not results:
            return _invalid("overrides must list at least one override")
        if single:
            return (
                (201, {"override": results[0]["override"]})
                if results[0]["status"] == 201
                else _invalid(results[0]["errors"][0])
            )
        return 201, results
    created = []
    items = body.get("overrides") or []
    if not items:
        return _v3_invalid("overrides", "must list at least one override")
    for item in items:
        start, end = _override_times(item, "start_time", "end_time")
        overriding = item.get("overriding_member") or {}
        overridden = item.get("overridden_member") or {}
        if item.get("type") != "override_shift":
            return _v3_invalid("type", "must be override_shift")
        if bool(item.get("rotation_id")) == bool(item.get("custom_shift_id")):
            return _v3_invalid("rotation_id", "exactly one of rotation_id and custom_shift_id is required")
        if start is None or end is None or end <= start:
            return _v3_invalid("end_time", "must be after start_time")
        if overriding.get("user_id") not in fake.users or not overridden.get("type"):
            return _v3_invalid("overriding_member", "must be a user of the account")
        change = fake.override(match["id"], start, end, overriding["user_id"])
        change.rotation_id, change.custom_shift_id = item.get("rotation_id") or "", item.get("custom_shift_id") or ""
        change.overridden_user_id = overridden.get("user_id") or ""
        created.append(_override_body(fake, change, schedule, True))
    return 201, {"overrides": created}


@writes
def _override_delete(fake, request, match, schedule, v3):
    change = _find_override(fake, match)
    if change is None:
        return 404, {"error": {"message": "Not Found", "code": 2100}}
    result = fake.remove_override(change)
    if result == "past":
        return _invalid("Overrides that have already ended cannot be deleted.")
    if result == "cut" and not v3:  # classic: 200 says it was truncated; shift-based answers 204 either way
        return 200, {"override": _override_body(fake, change, schedule, False)}
    return 204, b""


@authenticated
def _override_v3_get(fake, request, match, user):
    schedule, v3 = _override_schedule(fake, request, match)
    if schedule is None:
        return v3
    change = _find_override(fake, match)
    if change is None:
        return 404, {"error": {"message": "Not Found", "code": 2100}}
    return 200, {"override": _override_body(fake, change, schedule, True)}


@writes
def _override_v3_update(fake, request, match, schedule, v3):
    change = _find_override(fake, match)
    if change is None:
        return 404, {"error": {"message": "Not Found", "code": 2100}}
    item = request.json().get("override") or {}
    start, end = _override_times(
        {"start_time": change.start.isoformat(), "end_time": change.end.isoformat(), **item}, "start_time", "end_time"
    )
    user_id = (item.get("overriding_member") or {}).get("user_id") or change.user_id
    if start is None or end is None or end <= start:
        return _v3_invalid("end_time", "must be after start_time")
    fake.update_override(change, start, end, user_id)
    return 200, {"override": _override_body(fake, change, schedule, True)}


@authenticated
def _subscriptions_list(fake, request, match, user):
    """GET /webhook_subscriptions: every subscription (without secrets), one page."""
    listed = [{k: v for k, v in sub.items() if k != "secret"} for sub in fake.webhook_subscriptions.values()]
    return 200, {"webhook_subscriptions": listed, "limit": 100, "offset": 0, "more": False, "total": len(listed)}


@authenticated
def _subscription_create(fake, request, match, user):
    """POST /webhook_subscriptions: 201 with the new subscription, its signing secret shown this once."""
    if request.token in fake.read_only_keys:
        return 403, ACCESS_DENIED
    asked = request.json().get("webhook_subscription") or {}
    number = len(fake.webhook_subscriptions) + 1
    secret = f"fakeSigningSecret{number:04d}zZ9q"
    sub = {
        "id": f"PSUB{number:03d}",
        "type": "webhook_subscription",
        "active": True,
        "description": asked.get("description", ""),
        "events": asked.get("events", []),
        "filter": asked.get("filter", {"type": "account_reference"}),
        "delivery_method": {
            "type": "http_delivery_method",
            "url": (asked.get("delivery_method") or {}).get("url", ""),
            "temporarily_disabled": False,
            "custom_headers": [],
        },
    }
    fake.webhook_subscriptions[sub["id"]] = {**sub, "secret": secret}
    created = copy.deepcopy(sub)
    created["delivery_method"]["secret"] = secret
    return 201, {"webhook_subscription": created}


def _subscription_shown(sub: dict) -> dict:
    """A subscription as PagerDuty reads it back: without its secret."""
    return copy.deepcopy({k: v for k, v in sub.items() if k != "secret"})


@authenticated
def _subscription_get(fake, request, match, user):
    """GET /webhook_subscriptions/{id}: the subscription (no secret), or 404."""
    sub = fake.webhook_subscriptions.get(match["id"])
    if sub is None:
        return 404, {"error": {"message": "Not Found", "code": 2100}}
    return 200, {"webhook_subscription": _subscription_shown(sub)}


@authenticated
def _subscription_update(fake, request, match, user):
    """PUT /webhook_subscriptions/{id}: the fields sent replace the stored ones (`events` whole)."""
    if request.token in fake.read_only_keys:
        return 403, ACCESS_DENIED
    sub = fake.webhook_subscriptions.get(match["id"])
    if sub is None:
        return 404, {"error": {"message": "Not Found", "code": 2100}}
    asked = request.json().get("webhook_subscription") or {}
    sub.update({k: asked[k] for k in ("events", "description", "active", "filter") if k in asked})
    return 200, {"webhook_subscription": _subscription_shown(sub)}


@authenticated
def _subscription_delete(fake, request, match, user):
    if request.token in fake.read_only_keys:
        return 403, ACCESS_DENIED
    if fake.webhook_subscriptions.pop(match["id"], None) is None:
        return 404, {"error": {"message": "Not Found", "code": 2100}}
    return 204, b""
