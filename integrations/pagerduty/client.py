"""The only module that speaks HTTP to PagerDuty's REST API.

Everything else calls a `PagerDutyClient` and catches the typed errors below. The client:
- sends what PagerDuty's OpenAPI spec requires of every v2 operation (the versioning `Accept`
  header and `Content-Type: application/json`, GETs included) and `Token token=` (API key) or
  `Bearer` (OAuth) auth; tests/integrations/test_pagerduty_spec.py checks every request shape
  against the spec;
- puts a timeout on every call;
- retries 429 and 5xx with backoff through urllib3's `Retry`, honouring `Retry-After` and
  PagerDuty's `ratelimit-reset`, but never waits longer than `PAGERDUTY_MAX_RETRY_WAIT` for one
  retry: a longer wait raises `RateLimited(retry_after=...)` so a Celery task can come back later
  instead of holding a worker;
- walks every page of classic offset pagination;
- on a 401, when given `on_unauthorized` (OAuth), asks it for fresh credentials once and retries once;
- when given a `budget` (background work: budget.py), spends one of the credential's requests before
  each call (waiting at most `budget_wait` seconds) and hands it PagerDuty's `ratelimit-*` headers.

PagerDuty's OAuth identity service (authorize URL, code exchange, refresh) is spoken to by the
sibling module identity.py, which raises this module's errors; no other module does PagerDuty HTTP.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlparse

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from config import metrics, retry_after

# A JSON object as PagerDuty sends it.
JSON = dict[str, Any]

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
CONTENT_TYPE = "application/json"  # required by the spec on every v2 operation, GETs included
MAX_OFFSET = 10_000  # PagerDuty answers 400 when offset + limit exceeds this

# What removing an override did: deleted (not started), cut at now (in progress) or nothing (past).
Removed = Literal["deleted", "cut", "past"]


# --- Errors -------------------------------------------------------------------------------------


class PagerDutyError(Exception):
    """Base of every error the client raises. `message` is safe to show a person."""

    code = "pagerduty_error"
    permanent = False  # a permanent error will not go away by retrying

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        detail: object = None,
        said: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.detail = detail
        self.said = said  # PagerDuty's own words, when it gave any

    @property
    def stored_message(self) -> str:
        """The message to store and show on a page later: without a wait ("Try again in a
        minute", a countdown) that goes stale there or contradicts Roster retrying by itself."""
        return self.message.removesuffix(TRY_AGAIN)


class BadRequest(PagerDutyError):
    code = "pagerduty_bad_request"
    permanent = True


class AccountLevelKey(BadRequest):
    """`/users/me` called with an account-level key: not an error for Roster, just a kind of key."""

    code = "account_level_key"


class Unauthorized(PagerDutyError):
    code = "pagerduty_unauthorized"
    permanent = True


class PaymentRequired(PagerDutyError):
    code = "pagerduty_plan_lacks_feature"
    permanent = True


class Forbidden(PagerDutyError):
    code = "pagerduty_forbidden"
    permanent = True


class NotFound(PagerDutyError):
    code = "pagerduty_not_found"
    permanent = True


RATE_LIMITED = "PagerDuty is rate-limiting requests (429)."  # on the card, without a wait that goes stale
TRY_AGAIN = " Try again in a minute."  # to a person who just acted; a stored error drops it (stored_message)


class RateLimited(PagerDutyError):
    code = "pagerduty_rate_limited"

    @property
    def stored_message(self) -> str:
        return RATE_LIMITED  # the wait it ends with is a countdown or TRY_AGAIN


class Unavailable(PagerDutyError):
    code = "pagerduty_unavailable"


class UnreadableResponse(Unavailable):
    """PagerDuty answered, but in a shape Roster cannot read (e.g. a schedule without its final
    schedule). Never taken for an empty answer; retried like an outage."""

    code = "pagerduty_unreadable_response"


def unreachable(who: str, exc: requests.RequestException) -> Unavailable:
    failed = "did not answer in time" if isinstance(exc, requests.Timeout) else "could not be reached"
    return Unavailable(f"{who} {failed}.")


# --- Retries ------------------------------------------------------------------------------------


def _server_wait(response: Any) -> float | None:
    """Seconds the server asked us to wait: `Retry-After`, else PagerDuty's `ratelimit-reset`."""
    for header in ("Retry-After", "ratelimit-reset"):
        wait = retry_after.seconds(response.headers.get(header))
        if wait is not None:
            return wait
    return None


class PagerDutyRetry(Retry):
    """urllib3 Retry that also reads `ratelimit-reset` and refuses to sleep past `max_wait`."""

    def __init__(self, *args: Any, max_wait: float = 10.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        super().__init__(*args, **kwargs)

    def new(self, **kw: Any) -> PagerDutyRetry:
        new = super().new(**kw)
        new.max_wait = self.max_wait
        return new

    def get_retry_after(self, response: Any) -> float | None:
        return _server_wait(response)

    def increment(  # type: ignore[override]  # urllib3's own signature, untyped there
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if response is not None:
            wait = _server_wait(response)
            if wait is not None and wait > self.max_wait:
                # Give the response back to the caller (raise_on_status=False) rather than sleep.
                raise MaxRetryError(_pool, url, ResponseError(f"server asked to wait {wait}s"))
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if response is not None:  # retried: the caller never sees this answer, so it is counted here
            metrics.PAGERDUTY_REQUESTS.labels(outcome=metrics.pagerduty_outcome(response.status)).inc()
            if response.status == 429:
                metrics.PAGERDUTY_RATE_LIMITED.inc()
        return retry


def build_session() -> requests.Session:
    retry = PagerDutyRetry(
        total=settings.PAGERDUTY_RETRIES,
        connect=settings.PAGERDUTY_RETRIES,
        read=1,
        status=settings.PAGERDUTY_RETRIES,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
        backoff_factor=settings.PAGERDUTY_RETRY_BACKOFF,
        backoff_max=settings.PAGERDUTY_MAX_RETRY_WAIT,
        respect_retry_after_header=True,
        raise_on_status=False,
        max_wait=settings.PAGERDUTY_MAX_RETRY_WAIT,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update(
        {"Accept": ACCEPT, "Content-Type": CONTENT_TYPE, "User-Agent": "Roster/1.0 (+PagerDuty integration)"}
    )
    return session


# --- Helpers ------------------------------------------------------------------------------------


def api_url_for_region(region: str) -> str:
    return str(settings.PAGERDUTY_EU_API_URL if region == "eu" else settings.PAGERDUTY_API_URL)


def api_key_auth(key: str) -> str:
    return f"Token token={key}"


def bearer_auth(token: str) -> str:
    return f"Bearer {token}"


def web_link(url: str | None) -> str:
    """A PagerDuty `html_url` fit for an <a href>: http(s) only, so a crafted `javascript:` URL in a
    payload never becomes a link."""
    if not isinstance(url, str):
        return ""
    return url if urlparse(url.strip()).scheme in ("http", "https") else ""


def subdomain_from_html_url(html_url: str | None) -> str | None:
    """`https://acme.pagerduty.com/users/P1` → `acme` (also `acme.eu.pagerduty.com`)."""
    parts = (urlparse(html_url or "").hostname or "").split(".")
    return parts[0] if len(parts) >= 3 and parts[-2:] == ["pagerduty", "com"] else None


@contextmanager
def _unreadable(what: str) -> Iterator[None]:
    """A response whose shape is not PagerDuty's documented one is a (temporary) outage, not a 500."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UnreadableResponse(f"PagerDuty sent {what} Roster could not read.") from exc


def _error_message(response: requests.Response) -> tuple[str, object]:
    """PagerDuty errors are `{"error": {"message", "code", "errors"}}` or `{"error": "text"}`."""
    try:
        body = response.json()
    except ValueError:
        return "", None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return error, error
    if isinstance(error, dict):
        parts = [str(error.get("message") or "")]
        errors = error.get("errors") or []
        if isinstance(errors, dict):  # v3: {"field": ["what is wrong", ...]}
            parts += [f"{field}: {_words(said)}" for field, said in errors.items() if said]
        elif isinstance(errors, list):
            parts += [_words(e) for e in errors if e]
        return "; ".join(p for p in parts if p), error
    return "", body


def _words(said: object) -> str:
    """PagerDuty's words for one error: a string, or a list of strings (never a JSON dump)."""
    if isinstance(said, list):
        return "; ".join(_words(s) for s in said if s)
    return str(said) if isinstance(said, str | int | float) else ""


class RequestBudget(Protocol):
    """What the client needs of a request budget (integrations/pagerduty/budget.py)."""

    def take(self, *, block: float = 0.0) -> None: ...

    def observe(self, status: int, headers: Any) -> None: ...


@dataclass
class PagerDutyClient:
    """A client for one set of credentials. Build one with `for_api_key` or `for_oauth_token`."""

    auth_header: str
    base_url: str
    on_unauthorized: Callable[[], str | None] | None = None
    session: requests.Session | None = None
    # Called once, after the first request PagerDuty answers with success (clears a transient
    # error recorded on the connection: services.client_for).
    on_success: Callable[[], None] | None = None
    # Called with True when PagerDuty took an override write, False when it refused it (403: a
    # read-only key or a grant without schedules.write): the card's "Write overrides" line.
    on_override_write: Callable[[bool], None] | None = None
    # Background work: every request spends one of the credential's budget first (budget.py).
    budget: RequestBudget | None = None
    budget_wait: float = 0.0

    @classmethod
    def for_api_key(cls, key: str, *, region: str = "us") -> PagerDutyClient:
        return cls(auth_header=api_key_auth(key), base_url=api_url_for_region(region))

    @classmethod
    def for_oauth_token(
        cls, token: str, *, region: str = "us", on_unauthorized: Callable[[], str | None] | None = None
    ) -> PagerDutyClient:
        return cls(auth_header=bearer_auth(token), base_url=api_url_for_region(region), on_unauthorized=on_unauthorized)

    # -- transport --

    def _session(self) -> requests.Session:
        if self.session is None:
            self.session = build_session()
        return self.session

    def request(self, method: str, path: str, *, params: JSON | None = None, json: JSON | None = None) -> JSON:
        body: JSON = self._exchange(method, path, params=params, json=json)[1]
        return body

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: JSON | None = None,
        json: JSON | None = None,
        _retried_auth: bool = False,
    ) -> tuple[int, Any]:
        """One call: (HTTP status, the JSON answer or {} when empty), or the typed error of a 4xx/5xx.
        The answer is whatever JSON PagerDuty sent (creating classic overrides answers a list)."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        if self.budget is not None:
            self.budget.take(block=self.budget_wait)
        try:
            response = self._session().request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": self.auth_header},
                timeout=(5, settings.PAGERDUTY_TIMEOUT),
            )
        except requests.RequestException as exc:
            metrics.PAGERDUTY_REQUESTS.labels(outcome="unreachable").inc()
            raise unreachable("PagerDuty", exc) from exc
        metrics.PAGERDUTY_REQUESTS.labels(outcome=metrics.pagerduty_outcome(response.status_code)).inc()
        if response.status_code == 429:
            metrics.PAGERDUTY_RATE_LIMITED.inc()
        if self.budget is not None:
            self.budget.observe(response.status_code, response.headers)

        if response.status_code == 401 and self.on_unauthorized and not _retried_auth:
            new_header = self.on_unauthorized()
            if new_header:
                self.auth_header = new_header
                return self._exchange(method, path, params=params, json=json, _retried_auth=True)

        if response.status_code < 400:
            if self.on_success is not None:
                hook, self.on_success = self.on_success, None
                hook()
            if response.status_code == 204 or not response.content:
                return response.status_code, {}
            try:
                return response.status_code, response.json()
            except ValueError as exc:
                raise Unavailable(
                    "PagerDuty sent a response Roster could not read.", status=response.status_code
                ) from exc
        raise self._error_for(response)

    def _error_for(self, response: requests.Response) -> PagerDutyError:
        text, detail = _error_message(response)
        error = self._error_from(response, text, detail)
        error.said = text
        return error

    def _error_from(self, response: requests.Response, text: str, detail: object) -> PagerDutyError:
        status = response.status_code
        log.info("PagerDuty %s %s answered %s", response.request.method, urlparse(response.url).path, status)
        said = f" ({text})" if text else ""
        if status == 400 and "account-level" in text.lower():
            return AccountLevelKey(text, status=status, detail=detail)
        if status == 401:
            return Unauthorized("Unauthorized: Invalid or expired API token", status=status, detail=detail)
        if status == 402:
            return PaymentRequired(
                f"Your PagerDuty plan does not include this feature.{said}", status=status, detail=detail
            )
        if status == 403:
            return Forbidden(
                f"PagerDuty refused access: the credentials lack the permission or scope for this.{said}",
                status=status,
                detail=detail,
            )
        if status == 404:
            return NotFound(f"PagerDuty has no such object.{said}", status=status, detail=detail)
        if status == 429:
            wait = _server_wait(response)
            when = f" Try again in {int(wait + 0.999)} seconds." if wait else TRY_AGAIN
            return RateLimited(RATE_LIMITED + when, status=status, retry_after=wait)
        if status >= 500:
            return Unavailable(f"PagerDuty is having trouble (HTTP {status}).{TRY_AGAIN}", status=status)
        return BadRequest(
            f"PagerDuty rejected the request (HTTP {status})." + (f" {text}" if text else ""),
            status=status,
            detail=detail,
        )

    def get(self, path: str, **params: Any) -> JSON:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, json: JSON) -> JSON:
        return self.request("POST", path, json=json)

    def paginate(self, path: str, key: str, *, params: JSON | None = None, limit: int = 100) -> Iterator[JSON]:
        """Every item of a classic (offset) paginated list, one request per page."""
        offset = 0
        while True:
            if offset + limit > MAX_OFFSET:
                raise BadRequest("PagerDuty lists at most 10,000 results; narrow the search.")
            page = self.get(path, **{**(params or {}), "limit": limit, "offset": offset})
            items = page.get(key) or []
            yield from items
            if not page.get("more") or not items:
                return
            offset += len(items)

    # -- endpoints Roster uses --

    def current_user(self) -> JSON:
        """`GET /users/me`. Raises AccountLevelKey for account-level API keys, which PagerDuty answers
        with a 400 saying "account-level". A 400 in other words is checked with a probe: if
        `GET /users?limit=1` works, the key is valid but not a user's, so account-level too; if the
        probe is refused as well, the key is invalid (Unauthorized, saying what both calls answered)."""
        try:
            return self.get("/users/me").get("user") or {}
        except AccountLevelKey:
            raise
        except BadRequest as error:
            if error.status != 400:
                raise
            refused = error
        try:
            self.first_user()
        except (Unauthorized, RateLimited, Unavailable):
            raise  # a refused key says so itself; PagerDuty's trouble is not the key's fault
        except PagerDutyError as probe:
            answered = f"HTTP {probe.status}" if probe.status else "an error"
            raise Unauthorized(
                "PagerDuty accepted this key neither as a user's key nor as an account-level key: "
                f"GET /users/me answered HTTP 400 ({refused.said or 'no reason given'}) and GET /users answered "
                f"{answered} ({probe.said or probe.message})",
                status=refused.status,
                detail=refused.detail,
            ) from probe
        raise AccountLevelKey(refused.said or refused.message, status=refused.status, detail=refused.detail)

    def first_user(self) -> JSON | None:
        users = self.get("/users", limit=1).get("users") or []
        return users[0] if users else None

    def can_read(self, path: str) -> str:
        """Probe a list endpoint with `limit=1`: "yes", "no" (403), "not_in_plan" (402) or "unknown"."""
        try:
            self.get(path, limit=1)
        except Forbidden:
            return "no"
        except PaymentRequired:
            return "not_in_plan"
        except PagerDutyError:
            return "unknown"
        return "yes"

    # -- rotations: schedules (classic v2 and shift-based v3) and users --

    def list_schedules(self, query: str = "") -> list[JSON]:
        """Every schedule the credentials can see, classic and shift-based, all pages of both, whose
        name contains `query` (any case). Items: {id, name, time_zone, teams, html_url, kind
        ("v2"|"v3")}. v3 list items are bare references (no time zone or team). PagerDuty filters the
        v2 list by `query`; the v3 list is sent it too but may answer every schedule, so its names are
        filtered here as well. An account without v3 (400/402/403/404) lists only v2."""
        params = {"query": query} if query else None
        with _unreadable("a schedule list"):
            found = [_schedule_item(s, "v2") for s in self.paginate("/schedules", "schedules", params=params)]
            seen = {s["id"] for s in found}
            try:
                found += [
                    item
                    for s in self.paginate("/v3/schedules", "schedules", params=params)
                    if s["id"] not in seen and query.casefold() in (item := _schedule_item(s, "v3"))["name"].casefold()
                ]
            except (BadRequest, NotFound, Forbidden, PaymentRequired):
                pass
        return found

    def get_schedule_window(self, schedule_id: str, since: str, until: str, *, kind: str = "") -> JSON:
        """PagerDuty's final schedule (layers and overrides applied) overlapping [since, until).
        Returns {kind, name, time_zone, html_url, entries: [{start, end, user_id|None, user_name}]},
        `start` and `end` as UTC datetimes (an open end is `until`); `user_id` None is a gap (v3
        `empty_member`). Entries are not clipped (`overflow=true`) and may overlap (v3). An answer
        without its final schedule, or with entries Roster cannot read, raises UnreadableResponse:
        it is never taken for "nobody on call". With `kind` unknown, tries v3 then falls back to v2
        on 400/404; a known kind that answers 400 (a schedule upgraded to v3) is retried as the other."""
        order = {"v2": ("v2", "v3"), "v3": ("v3", "v2")}.get(kind, ("v3", "v2"))
        for attempt, which in enumerate(order):
            try:
                with _unreadable("a schedule"):
                    return (
                        self._schedule_v3(schedule_id, since, until)
                        if which == "v3"
                        else self._schedule_v2(schedule_id, since, until)
                    )
            except (BadRequest, NotFound) as error:
                last = attempt == len(order) - 1
                if last or (kind and isinstance(error, NotFound)):
                    raise
        raise NotFound("PagerDuty has no such schedule.")  # pragma: no cover

    def _schedule_v2(self, schedule_id: str, since: str, until: str) -> JSON:
        body = self.get(
            f"/schedules/{_segment(schedule_id)}", since=since, until=until, overflow="true", time_zone="UTC"
        )
        read = _ScheduleReader(schedule_id, body, until)
        entries = []
        for e in read.final_entries("rendered_schedule_entries"):
            user = e.get("user")
            if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
                raise read.unreadable("with an on-call entry that names no person (user.id)")
            entries.append(
                {
                    "start": read.moment(e, "start"),
                    "end": read.moment(e, "end"),
                    "user_id": user["id"],
                    "user_name": str(user.get("summary") or ""),
                }
            )
        return read.result("v2", entries)

    def _schedule_v3(self, schedule_id: str, since: str, until: str) -> JSON:
        body = self.get(
            f"/v3/schedules/{_segment(schedule_id)}",
            since=since,
            until=until,
            overflow="true",
            **{"include[]": "final_schedule"},
        )
        read = _ScheduleReader(schedule_id, body, until)
        entries = []
        for a in read.final_entries("computed_shift_assignments"):
            member = a.get("member")
            member = member if isinstance(member, dict) else {}
            kind = member.get("type")
            if kind not in ("user_member", "empty_member"):
                raise read.unreadable("with a shift whose member Roster does not know (member.type)")
            user_id = member.get("user_id") if kind == "user_member" else None
            if kind == "user_member" and (not isinstance(user_id, str) or not user_id):
                raise read.unreadable("with a shift that names no person (member.user_id)")
            entries.append(
                {
                    "start": read.moment(a, "start_time"),
                    "end": read.moment(a, "end_time"),
                    "user_id": user_id,
                    "user_name": "",
                    **_shift_source(a.get("source")),
                }
            )
        return read.result("v3", entries)

    def list_oncalls(
        self, schedule_ids: list[str], since: dt.datetime, until: dt.datetime, *, chunk: int = 25
    ) -> dict[str, list[tuple[str, dt.datetime, dt.datetime]]]:
        """`GET /oncalls` for many schedules at once: the final on-call entries (layers and overrides
        applied) overlapping [since, until) (at most 90 days), `limit=100`, every page, `schedule_ids[]`
        sent `chunk` at a time (a URL of reasonable length; PagerDuty pages at most 10,000 entries a
        query: a chunk that would need more is split). Returns schedule id → [(user id, start, end)],
        each (user, start, end) once (a schedule several escalation levels or policies use is
        listed once per use). A schedule no escalation policy uses is absent: PagerDuty's /oncalls
        cannot see it."""
        found: dict[str, set[tuple[str, dt.datetime, dt.datetime]]] = {}
        pending = [schedule_ids[i : i + chunk] for i in range(0, len(schedule_ids), chunk)]
        window = {"since": iso_time(since), "until": iso_time(until), "time_zone": "UTC"}
        with _unreadable("an on-call list"):
            while pending:
                ids = pending.pop(0)
                params = {**window, "schedule_ids[]": ids}
                entries: list[JSON] = []
                try:
                    entries = list(self.paginate("/oncalls", "oncalls", params=params))
                except BadRequest as error:
                    if len(ids) > 1 and "10,000" in error.message and error.status is None:
                        half = len(ids) // 2
                        pending[:0] = [ids[:half], ids[half:]]
                        continue
                    raise
                for entry in entries:
                    schedule = entry.get("schedule")
                    user = entry.get("user")
                    if not isinstance(schedule, dict) or not isinstance(user, dict):
                        continue  # an escalation rule targeting a user directly: no schedule
                    start = _utc(entry["start"]) if entry.get("start") else since.astimezone(dt.UTC)
                    end = _utc(entry["end"]) if entry.get("end") else until.astimezone(dt.UTC)
                    found.setdefault(str(schedule["id"]), set()).add((str(user["id"]), start, end))
        return {sid: sorted(entries, key=lambda e: (e[1], e[2], e[0])) for sid, entries in found.items()}

    def get_user(self, user_id: str) -> JSON:
        """`GET /users/{id}`: {id, name, email, ...}."""
        return self.get(f"/users/{_segment(user_id)}").get("user") or {}

    def find_user_by_email(self, email: str) -> JSON | None:
        """The PagerDuty user whose email is `email` (any case), or None. `GET /users?query=` narrows
        the search (PagerDuty matches names and emails); only an exact email match is taken."""
        wanted = email.strip().casefold()
        if not wanted:
            return None
        with _unreadable("a user list"):
            for user in self.paginate("/users", "users", params={"query": email.strip()}):
                if isinstance(user, dict) and str(user.get("email") or "").casefold() == wanted:
                    return user
        return None

    # -- overrides (cover requests), classic v2 and shift-based v3 --

    def list_overrides(
        self, schedule_id: str, since: dt.datetime | str, until: dt.datetime | str, *, kind: str
    ) -> list[JSON]:
        """The schedule's overrides overlapping [since, until), not clipped to it (`overflow=true`),
        every page, each as {id, start, end (UTC datetimes), user_id (who covers), overridden_user_id,
        rotation_id, custom_shift_id} (the last three "" on classic schedules)."""
        window = {"since": iso_time(since), "until": iso_time(until), "overflow": "true"}
        with _unreadable("an override list"):
            if kind == "v3":
                path = f"/v3/schedules/{_segment(schedule_id)}/overrides"
                return [_override_v3(item) for item in self.paginate(path, "overrides", params=window)]
            items = self.get(f"/schedules/{_segment(schedule_id)}/overrides", **window)["overrides"]
            return [_override_v2(item) for item in items]

    def create_override(
        self,
        schedule_id: str,
        *,
        kind: str,
        start: dt.datetime,
        end: dt.datetime,
        user_id: str,
        time_zone: str = "UTC",
        overridden_user_id: str = "",
        rotation_id: str = "",
        custom_shift_id: str = "",
    ) -> JSON:
        """One override putting `user_id` on call from `start` to `end`; returns it as
        `list_overrides` items are. Classic: `POST /schedules/{id}/overrides` with `{"overrides":
        [...]}`, whose 201 answer carries a status per override: one that is not 201 raises
        BadRequest with PagerDuty's reasons. Shift-based: `POST /v3/schedules/{id}/overrides` naming
        the shift (`rotation_id` or `custom_shift_id`, not both) and who is overridden. Not retried
        here (a POST is not idempotent): the caller lists before creating again."""
        if kind == "v3":
            if bool(rotation_id) == bool(custom_shift_id):
                raise ValueError("a shift-based override names exactly one of rotation_id and custom_shift_id")
            shift = {"rotation_id": rotation_id} if rotation_id else {"custom_shift_id": custom_shift_id}
            body = {
                "overrides": [
                    {
                        "type": "override_shift",
                        **shift,
                        "start_time": iso_time(start),
                        "end_time": iso_time(end),
                        "overridden_member": {"type": "user_member", "user_id": overridden_user_id},
                        "overriding_member": {"type": "user_member", "user_id": user_id},
                    }
                ]
            }
            answer = self._write_override("POST", f"/v3/schedules/{_segment(schedule_id)}/overrides", body)[1]
            with _unreadable("an answer to creating an override"):
                return _override_v3(answer["overrides"][0])
        override = {
            "start": iso_time(start),
            "end": iso_time(end),
            "user": {"id": user_id, "type": "user_reference"},
            "time_zone": time_zone or "UTC",
        }
        answer = self._write_override(
            "POST", f"/schedules/{_segment(schedule_id)}/overrides", {"overrides": [override]}
        )[1]
        with _unreadable("an answer to creating an override"):
            result = answer[0] if isinstance(answer, list) else {"status": 201, **answer}  # the deprecated single form
            if result.get("status", 201) not in (200, 201):
                said = _words(result.get("errors") or [])
                raise BadRequest(
                    "PagerDuty refused the override." + (f" {said}" if said else ""),
                    status=int(result["status"]),
                    detail=result.get("errors"),
                    said=said,
                )
            return _override_v2(result["override"])

    def delete_override(self, schedule_id: str, override_id: str, *, kind: str) -> Removed:
        """Remove an override the way PagerDuty's classic schedules do: "deleted" (not started yet),
        "cut" (in progress: it now ends at PagerDuty's "now") or "past" (over: left as it is).
        Classic: `DELETE` answers 204 deleted or 200 cut; PagerDuty refuses a past one (the spec
        names no status for that: a 400 is taken for it). Shift-based: the override is read first
        (`GET`); over → "past" without a call, in progress → `PUT` its end to now ("cut"), else
        `DELETE`. An override that is already gone raises NotFound."""
        if kind != "v3":
            try:
                status, _ = self._write_override(
                    "DELETE", f"/schedules/{_segment(schedule_id)}/overrides/{_segment(override_id)}"
                )
            except BadRequest as error:
                if error.status == 400:
                    return "past"
                raise
            return "cut" if status == 200 else "deleted"
        path = f"/v3/schedules/{_segment(schedule_id)}/overrides/{_segment(override_id)}"
        with _unreadable("an override"):
            override = _override_v3(self.get(path)["override"])
        now = dt.datetime.now(dt.UTC)
        if override["end"] <= now:
            return "past"
        if override["start"] < now:
            self._write_override("PUT", path, {"override": {"end_time": iso_time(now)}})
            return "cut"
        self._write_override("DELETE", path)
        return "deleted"

    def _write_override(self, method: str, path: str, body: JSON | None = None) -> tuple[int, Any]:
        """An override write, telling `on_override_write` whether PagerDuty allowed it."""
        try:
            answer = self._exchange(method, path, json=body)
        except Forbidden:
            if self.on_override_write is not None:
                self.on_override_write(False)
            raise
        if self.on_override_write is not None:
            self.on_override_write(True)
        return answer

    # -- webhooks (V3 subscriptions) --

    def create_webhook_subscription(self, *, url: str, events: list[str], description: str) -> JSON:
        """`POST /webhook_subscriptions`, account-wide. The response's `delivery_method.secret` is the
        signing secret, shown this once. Raises Forbidden for read-only keys or a missing scope."""
        body = {
            "webhook_subscription": {
                "type": "webhook_subscription",
                "delivery_method": {"type": "http_delivery_method", "url": url},
                "description": description,
                "events": events,
                "filter": {"type": "account_reference"},
            }
        }
        return self.post("/webhook_subscriptions", json=body).get("webhook_subscription") or {}

    def find_webhook_subscriptions(self, url: str) -> list[JSON]:
        """`GET /webhook_subscriptions` (every page): the subscriptions delivering to `url`. PagerDuty
        filters only by scope, so the URL is compared here."""
        with _unreadable("a webhook subscription list"):
            return [
                s
                for s in self.paginate("/webhook_subscriptions", "webhook_subscriptions")
                if isinstance(s, dict) and (s.get("delivery_method") or {}).get("url") == url
            ]

    def get_webhook_subscription(self, subscription_id: str) -> JSON:
        """`GET /webhook_subscriptions/{id}`: the subscription (`events`, `active`, ...), without its
        secret. NotFound once it was deleted. An answer without its list of events is unreadable, never
        taken for a subscription that sends nothing."""
        answer = self.get(f"/webhook_subscriptions/{_segment(subscription_id)}")
        with _unreadable("a webhook subscription"):
            subscription = answer["webhook_subscription"]
            if not isinstance(subscription["events"], list):
                raise TypeError("events is not a list")
            return dict(subscription)

    def update_webhook_subscription_events(self, subscription_id: str, events: list[str]) -> JSON:
        """`PUT /webhook_subscriptions/{id}` with only `events`: PagerDuty replaces the whole list, so
        send every event it should keep sending. Forbidden for read-only keys or a missing scope."""
        body = {"webhook_subscription": {"events": events}}
        answer = self.request("PUT", f"/webhook_subscriptions/{_segment(subscription_id)}", json=body)
        return answer.get("webhook_subscription") or {}

    def delete_webhook_subscription(self, subscription_id: str) -> None:
        """`DELETE /webhook_subscriptions/{id}` (Recreate removes the subscription it replaces)."""
        self.request("DELETE", f"/webhook_subscriptions/{_segment(subscription_id)}")

    def get_incident(self, incident_id: str) -> JSON:
        """`GET /incidents/{id}` (fills in an incident known only by reference from a webhook)."""
        return self.get(f"/incidents/{_segment(incident_id)}").get("incident") or {}


def iso_time(moment: dt.datetime | str) -> str:
    """A time as PagerDuty takes it: ISO 8601 with its offset, UTC as `Z`."""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        raise ValueError("PagerDuty times need a time zone")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _utc(value: object) -> dt.datetime:
    """A PagerDuty time (with its offset) as a UTC datetime; anything else is unreadable (TypeError)."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise TypeError(f"not a time with an offset: {str(value)[:40]!r}")
    return parsed.astimezone(dt.UTC)


def _shift_source(source: object) -> JSON:
    """Which shift a v3 assignment comes from: {rotation_id, custom_shift_id} ("" when not said)."""
    source = source if isinstance(source, dict) else {}
    custom = source.get("type") in ("custom_shift", "custom_shift_override")
    return {
        "rotation_id": "" if custom else str(source.get("rotation_id") or ""),
        "custom_shift_id": str(source.get("shift_id") or "") if custom else "",
    }


def _override_v2(item: JSON) -> JSON:
    return {
        "id": str(item["id"]),
        "start": _utc(item["start"]),
        "end": _utc(item["end"]),
        "user_id": str(item["user"]["id"]),
        "overridden_user_id": "",
        "rotation_id": "",
        "custom_shift_id": "",
    }


def _override_v3(item: JSON) -> JSON:
    overridden = item.get("overridden_member") or {}
    return {
        "id": str(item["id"]),
        "start": _utc(item["start_time"]),
        "end": _utc(item["end_time"]),
        "user_id": str(item["overriding_member"].get("user_id") or ""),
        "overridden_user_id": str(overridden.get("user_id") or ""),
        "rotation_id": str(item.get("rotation_id") or ""),
        "custom_shift_id": str(item.get("custom_shift_id") or ""),
    }


def _segment(value: str) -> str:
    """An id as one path segment: an id with a `/` or `?` cannot reach another endpoint."""
    return quote(value, safe="")


class _ScheduleReader:
    """Reads one schedule answer; anything not in PagerDuty's documented shape is UnreadableResponse
    naming what was missing, so the sync records it instead of storing "nobody on call"."""

    def __init__(self, schedule_id: str, body: JSON, until: str):
        self.schedule_id = schedule_id
        self.until = until
        schedule = body.get("schedule") if isinstance(body, dict) else None
        if not isinstance(schedule, dict):
            raise self.unreadable("without the schedule (schedule)")
        self.schedule = schedule

    def unreadable(self, what: str) -> UnreadableResponse:
        return UnreadableResponse(
            f"PagerDuty sent schedule {self.schedule_id} {what}, so Roster cannot tell who is on call."
        )

    def final_entries(self, key: str) -> list[JSON]:
        final = self.schedule.get("final_schedule")
        if not isinstance(final, dict):
            raise self.unreadable("without its final schedule (final_schedule)")
        entries = final.get(key)
        if not isinstance(entries, list):
            raise self.unreadable(f"without its on-call entries (final_schedule.{key})")
        if not all(isinstance(e, dict) for e in entries):
            raise self.unreadable(f"with an on-call entry that is not an object (final_schedule.{key})")
        return entries

    def moment(self, entry: JSON, key: str) -> dt.datetime:
        """A time with its UTC offset, as a UTC datetime. A present but null end is open: `until`."""
        if key not in entry:
            raise self.unreadable(f"with an on-call entry missing its {key}")
        value = entry[key]
        if value is None and key in ("end", "end_time"):
            value = self.until
        try:
            return _utc(value)
        except (TypeError, ValueError):
            raise self.unreadable(f"with a time Roster cannot read ({key} {str(value)[:40]!r})") from None

    def result(self, kind: str, entries: list[JSON]) -> JSON:
        s = self.schedule
        return {
            "kind": kind,
            "name": str(s.get("name") or s.get("summary") or self.schedule_id),
            "time_zone": str(s.get("time_zone") or ""),
            "html_url": str(s.get("html_url") or ""),
            "entries": entries,
        }


def _schedule_item(schedule: JSON, kind: str) -> JSON:
    """A schedule list item (v2 object or v3 reference) as the schedule picker shows it."""
    return {
        "id": schedule["id"],
        "name": schedule.get("name") or schedule.get("summary") or schedule["id"],
        "time_zone": schedule.get("time_zone") or "",
        "teams": [t.get("summary") or t.get("id") for t in schedule.get("teams") or []],
        "html_url": schedule.get("html_url") or "",
        "kind": kind,
    }
